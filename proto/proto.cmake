# Generated code lands in <build>/proto/opgraph.pb.{h,cc}, included as
# "proto/opgraph.pb.h".
set(OPGRAPH_PROTO_SRC ${PROJECT_BINARY_DIR}/proto/opgraph.pb.cc)
set(OPGRAPH_PROTO_HDR ${PROJECT_BINARY_DIR}/proto/opgraph.pb.h)
add_custom_command(
  OUTPUT ${OPGRAPH_PROTO_SRC} ${OPGRAPH_PROTO_HDR}
  COMMAND protobuf::protoc --cpp_out=${PROJECT_BINARY_DIR} -I ${PROJECT_SOURCE_DIR}
          ${PROJECT_SOURCE_DIR}/proto/opgraph.proto
  DEPENDS ${PROJECT_SOURCE_DIR}/proto/opgraph.proto protobuf::protoc
  COMMENT "Generating proto/opgraph.pb.{h,cc}")
target_sources(opgraph PRIVATE ${OPGRAPH_PROTO_SRC} ${OPGRAPH_PROTO_HDR})
# protoc's output is not ours to fix: no warnings for it.
set_source_files_properties(${OPGRAPH_PROTO_SRC} PROPERTIES COMPILE_OPTIONS "-w")
