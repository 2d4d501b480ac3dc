# Generates libprotobuf C++ classes for the OTLP trace protos into the build
# tree (never into the repo), when POLYTRACE_OTLP_PROTO_DIR points at them
# (scripts/fetch-otlp-protos.sh). Used only by the codec benchmark.
if(NOT POLYTRACE_OTLP_PROTO_DIR)
  return()
endif()
set(_otlp_protos
  opentelemetry/proto/common/v1/common.proto
  opentelemetry/proto/resource/v1/resource.proto
  opentelemetry/proto/trace/v1/trace.proto
  opentelemetry/proto/collector/trace/v1/trace_service.proto)
set(_gen_dir ${CMAKE_BINARY_DIR}/otlp_proto_gen)
file(MAKE_DIRECTORY ${_gen_dir})
set(_srcs)
foreach(p ${_otlp_protos})
  string(REPLACE ".proto" ".pb.cc" _cc ${p})
  string(REPLACE ".proto" ".pb.h" _h ${p})
  list(APPEND _srcs ${_gen_dir}/${_cc})
  add_custom_command(
    OUTPUT ${_gen_dir}/${_cc} ${_gen_dir}/${_h}
    COMMAND protobuf::protoc --cpp_out=${_gen_dir} -I ${POLYTRACE_OTLP_PROTO_DIR} ${p}
    DEPENDS ${POLYTRACE_OTLP_PROTO_DIR}/${p}
    WORKING_DIRECTORY ${POLYTRACE_OTLP_PROTO_DIR})
endforeach()
add_library(polytrace_otlp_proto_generated STATIC ${_srcs})
target_include_directories(polytrace_otlp_proto_generated SYSTEM PUBLIC ${_gen_dir})
target_link_libraries(polytrace_otlp_proto_generated PUBLIC protobuf::libprotobuf)
target_compile_options(polytrace_otlp_proto_generated PRIVATE -Wno-error)
