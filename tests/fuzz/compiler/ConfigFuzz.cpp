//===- ConfigFuzz.cpp - a model name and its --set values -----------------===//
//
// Input: a model name on the first line, then KEY=VALUE lines, as `ssmc
// run NAME --set KEY=VALUE...` takes them: an error naming the key or the
// value, or a validated configuration whose inputs can be declared.

#include "Registry.h"

#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char *>(data), size));
  std::string name, line;
  std::getline(in, name);
  std::vector<std::pair<std::string, std::string>> sets;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos)
      sets.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  auto model = ssmc::models::resolve(name, sets);
  if (model)
    (void)model->family->inputs(model->config, 1);
  return 0;
}
