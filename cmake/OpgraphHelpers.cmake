# opgraph_test(<source>): one GoogleTest executable per test file, named
# after the file, registered with ctest.
function(opgraph_test source)
  get_filename_component(name ${source} NAME_WE)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/tests ${CMAKE_CURRENT_SOURCE_DIR}/${source})
  get_filename_component(dir ${rel} DIRECTORY)
  string(REPLACE "/" "_" prefix "${dir}")
  if(prefix)
    set(name "${prefix}_${name}")
  endif()
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE opgraph_test_util)
  target_link_libraries(${name} PRIVATE opgraph ${ARGN} GTest::gmock GTest::gtest GTest::gtest_main)
  # Tests under tests/tools/ exercise the command-line library.
  if(dir MATCHES "^tools" AND TARGET opgraph_tools)
    target_link_libraries(${name} PRIVATE opgraph_tools)
  endif()
  # Tests under tests/onnx_import/, and tests/*/*onnx*_test.cc, build ONNX
  # models with Debian's onnx_proto.
  if((dir MATCHES "^onnx_import" OR name MATCHES "onnx") AND TARGET opgraph_onnx)
    target_link_libraries(${name} PRIVATE opgraph_onnx onnx_proto)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "OPGRAPH_SOURCE_DIR=${PROJECT_SOURCE_DIR};OPGRAPH_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
