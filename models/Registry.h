//===- Registry.h - registered models, families and their --set keys -----===//
//
// A family is a model constructor (`mambaout`, `vision_mamba`, ...) whose
// --set keys are the reference constructor's argument names; a variant is a
// family with fixed settings (`mambaout_femto`). Resolving a name and the
// user's --set pairs gives a typed Config or one clear error.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_MODELS_REGISTRY_H
#define SSMC_MODELS_REGISTRY_H

#include "Graph.h"
#include "Support/Status.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ssmc::models {

enum class KeyType { Int, Float, FloatOrNull, Bool, IntList, String, IntOrAuto, Opaque };

struct ConfigKey {
  std::string name;
  KeyType type;
  std::string defaultValue; // as the user would write it with --set
  std::string help;
  /// Accepted but without effect on the forward pass (drop_path, ...).
  bool inert = false;
};

/// Typed view of the --set values after validation; getters never fail for
/// a key the family declared with that type.
class Config {
public:
  int64_t getInt(const std::string &key) const;
  double getFloat(const std::string &key) const;
  bool getBool(const std::string &key) const;
  std::vector<int64_t> getIntList(const std::string &key) const;
  const std::string &getString(const std::string &key) const;
  bool isNull(const std::string &key) const;
  bool has(const std::string &key) const { return values_.count(key) != 0; }
  const std::map<std::string, std::string> &values() const { return values_; }
  void set(const std::string &key, std::string value) { values_[key] = std::move(value); }

private:
  std::map<std::string, std::string> values_;
};

struct InputDecl {
  std::string name;
  shape::Shape shape; // the default shape
  /// Dimensions a given input may change (batch, image size, length); the
  /// others are fixed by the configuration.
  std::vector<int64_t> freeDims = {0};
  /// An optional input: without it the model is what this --set (key,
  /// value) makes it (vim_block without `residual` is a first block).
  std::optional<std::pair<std::string, std::string>> whenAbsent = std::nullopt;
};

struct Family {
  std::string name;
  std::string summary = {};
  std::vector<ConfigKey> keys = {};
  /// Inputs and their default shapes at batch size `batch`.
  std::function<std::vector<InputDecl>(const Config &, int64_t batch)> inputs = {};
  /// Checks values beyond their types; returns an error or "".
  std::function<std::string(const Config &)> validate = {};
  /// Builds the graph from the input tensors (by name).
  std::function<void(dsl::Graph &, const Config &, const std::map<std::string, dsl::Tensor> &)>
      build = {};
  /// Maps a checkpoint's foreign parameter name (timm's) to the official one,
  /// for checkpoints that hold `foreignMarker`: in such a file every key is
  /// translated once (the two schemes reuse some names for other tensors).
  std::function<std::optional<std::string>(const std::string &)> officialName = {};
  std::string foreignMarker = {};
  /// The inverse of officialName, so that errors about a foreign file name
  /// its tensors as the file would.
  std::function<std::string(const std::string &)> foreignName = {};
  /// The classification output has this many logits (0 or unset: not a
  /// classifier).
  std::function<int64_t(const Config &)> numClasses = {};
  /// `--image`'s eval transform: resize the short side to size / cropPct
  /// (bicubic), centre-crop `size` (timm's crop_pct).
  double evalCropPct = 1.0;
};

struct Variant {
  std::string name;
  std::string family;
  std::vector<std::pair<std::string, std::string>> settings;
  std::string summary;
  double evalCropPct = 0; ///< 0: the family's
};

struct ResolvedModel {
  const Family *family = nullptr;
  std::string name; // variant or family name
  Config config;
  double evalCropPct = 1.0; ///< the variant's, else the family's
};

const std::vector<Family> &families();
const std::vector<Variant> &variants();
const Family *findFamily(std::string_view name);

/// Name plus --set pairs to a validated model, or one message naming the
/// unknown model, the unknown key (listing the valid ones) or the bad value.
rt::Expected<ResolvedModel> resolve(const std::string &name,
                                    const std::vector<std::pair<std::string, std::string>> &sets);

/// Adds the families and variants `add` registers (a plugin's, Plugin.h),
/// after checking that their names are new and every variant's family
/// exists; `origin` names the source in errors. Call it before resolving any
/// model: a ResolvedModel points into the table.
using RegisterModelsFn = std::function<void(std::vector<Family> &, std::vector<Variant> &)>;
rt::Status addModels(const RegisterModelsFn &add, const std::string &origin);

// Registration hooks, one per model file.
void addMambaOutModels(std::vector<Family> &families, std::vector<Variant> &variants);
void addMambaModels(std::vector<Family> &families, std::vector<Variant> &variants);

} // namespace ssmc::models

#endif // SSMC_MODELS_REGISTRY_H
