# Installation and the CMake package, so that operator plugins can be built
# outside this tree:
#   cmake --install <build> --prefix P
#   find_package(opgraph CONFIG REQUIRED)   # with CMAKE_PREFIX_PATH=P
#   opgraph_add_plugin(my_ops SOURCES my_op.cc)
include(CMakePackageConfigHelpers)
include(CheckCXXSourceCompiles)

# What plugins must match, recorded in a generated header (core/plugin.h
# checks it at compile time; LoadPlugin checks the plugin's copy at load).
if(NOT Protobuf_VERSION MATCHES "^([0-9]+)\\.([0-9]+)\\.([0-9]+)")
  message(FATAL_ERROR "cannot parse the protobuf version '${Protobuf_VERSION}'")
endif()
math(EXPR OPGRAPH_PROTOBUF_VERSION_NUMBER
     "${CMAKE_MATCH_1} * 1000000 + ${CMAKE_MATCH_2} * 1000 + ${CMAKE_MATCH_3}")
check_cxx_source_compiles([=[
#include <string>
#if !defined(_GLIBCXX_USE_CXX11_ABI) || _GLIBCXX_USE_CXX11_ABI != 1
#error not the C++11 string ABI
#endif
int main() { return 0; }
]=] OPGRAPH_HAS_CXX11_ABI_1)
check_cxx_source_compiles([=[
#include <string>
#if !defined(_GLIBCXX_USE_CXX11_ABI) || _GLIBCXX_USE_CXX11_ABI != 0
#error not the old string ABI
#endif
int main() { return 0; }
]=] OPGRAPH_HAS_CXX11_ABI_0)
if(OPGRAPH_HAS_CXX11_ABI_1)
  set(OPGRAPH_CXX11_ABI 1)
elseif(OPGRAPH_HAS_CXX11_ABI_0)
  set(OPGRAPH_CXX11_ABI 0)
else()
  set(OPGRAPH_CXX11_ABI -1)
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/plugin_config.h.in
               ${PROJECT_BINARY_DIR}/core/plugin_config.h @ONLY)

# Consumers need C++17 whatever their own default.
target_compile_features(opgraph PUBLIC cxx_std_17)

set(OPGRAPH_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/opgraph)

install(TARGETS opgraph EXPORT opgraphTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET opgraph_cli)
  set_target_properties(opgraph_cli PROPERTIES
    INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
  install(TARGETS opgraph_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/opgraph/core
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/core/plugin_config.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/opgraph/core)
install(FILES ${PROJECT_BINARY_DIR}/proto/opgraph.pb.h ${PROJECT_SOURCE_DIR}/proto/opgraph.proto
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/opgraph/proto)

install(EXPORT opgraphTargets NAMESPACE opgraph:: DESTINATION ${OPGRAPH_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/opgraphConfig.cmake.in
  ${PROJECT_BINARY_DIR}/opgraphConfig.cmake
  INSTALL_DESTINATION ${OPGRAPH_CMAKE_DIR})
# Until 1.0 every minor version may change the plugin ABI.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/opgraphConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/opgraphConfig.cmake
  ${PROJECT_BINARY_DIR}/opgraphConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/OpgraphPlugin.cmake
  DESTINATION ${OPGRAPH_CMAKE_DIR})
