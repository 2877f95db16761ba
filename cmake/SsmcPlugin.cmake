# ssmc_add_model_plugin(NAME SOURCES...): a model plugin for `ssmc --plugin`
# (models/Plugin.h). The library links nothing of ssmc's: the DSL's symbols
# are resolved against the ssmc executable when it loads the plugin, so the
# plugin and ssmc share one copy of MLIR.
function(ssmc_add_model_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES")
  set(sources ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  if(NOT sources)
    message(FATAL_ERROR "ssmc_add_model_plugin(${name}): no sources given")
  endif()
  add_library(${name} MODULE ${sources})
  target_link_libraries(${name} PRIVATE ssmc::dsl)
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden      # only the two entry points are seen
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
