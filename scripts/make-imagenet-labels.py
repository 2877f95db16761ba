#!/usr/bin/env python3
"""Writes tools/ssmc/imagenet1k_labels.txt: one line per ImageNet-1k class in
index order, `SYNSET NAME`, the name being the synset's first WordNet lemma
(what `ssmc run` prints beside each top-5 class of a 1000-class head).

The class order and lemmas are the dataset's metadata as timm ships it:
    pip install --no-deps --target /tmp/pylib timm
    PYTHONPATH=/tmp/pylib python3 scripts/make-imagenet-labels.py
"""
import os

from timm.data import ImageNetInfo

info = ImageNetInfo()
assert info.num_classes() == 1000
out = os.path.join(os.path.dirname(__file__), "..", "tools", "ssmc", "imagenet1k_labels.txt")
with open(out, "w") as f:
    for i in range(1000):
        synset = info.index_to_label_name(i)
        lemma = info.index_to_description(i).split(",")[0].strip()
        assert lemma and "\n" not in lemma and ")" not in synset
        f.write(f"{synset} {lemma}\n")
print(f"wrote {os.path.normpath(out)}")
