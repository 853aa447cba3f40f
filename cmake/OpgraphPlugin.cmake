# opgraph_add_plugin(<name> SOURCES <src>... [LINK_LIBRARIES <lib>...])
#
# Builds an opgraph operator plugin: a MODULE library for LoadPlugin() and
# `opgraph --plugin`. It links opgraph::opgraph, is compiled as C++17 or
# later, exports only the entry points defined by OPGRAPH_PLUGIN_ENTRY()
# (hidden visibility otherwise, so two plugins cannot clash on internal
# names), and links with --no-undefined so that a missing symbol, such as a
# kernel registered without its OPERATOR_SCHEMA, fails the build rather than
# the load.
function(opgraph_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;LINK_LIBRARIES")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "opgraph_add_plugin(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "opgraph_add_plugin(${name}): SOURCES is required")
  endif()
  if(NOT TARGET opgraph::opgraph)
    message(FATAL_ERROR "opgraph_add_plugin(${name}): call find_package(opgraph) first")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE opgraph::opgraph ${ARG_LINK_LIBRARIES})
  target_compile_features(${name} PRIVATE cxx_std_17)
  set_target_properties(${name} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(${name} PRIVATE "LINKER:--no-undefined")
  endif()
endfunction()
