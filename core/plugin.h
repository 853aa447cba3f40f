// Plugins: operators in a shared library built outside opgraph and loaded
// at run time with LoadPlugin().
//
// A plugin source file looks like a built-in operator file (ops/selu_op.cc):
// kernel classes, OPERATOR_SCHEMA, REGISTER_CPU_OPERATOR, REGISTER_GRADIENT,
// optionally REGISTER_GRAPH_PASS (a pass over its operators, run by
// OptimizeNet like a built-in one), and once per plugin library
//
//   OPGRAPH_PLUGIN_ENTRY();
//
// or, to also register operators through the explicit OpRegistrar API,
//
//   absl::Status RegisterMore(opgraph::OpRegistrar& registrar) { ... }
//   OPGRAPH_PLUGIN_ENTRY_WITH(RegisterMore);
//
// Build it with opgraph_add_plugin() from the installed CMake package; see
// docs/PLUGINS.md.
//
// ABI. OPGRAPH_PLUGIN_ABI_VERSION is compiled into each plugin twice: in a
// read-only ELF section (.opgraph_plugin_info) that LoadPlugin reads from the
// file BEFORE opening it, and in the extern "C" function
// opgraph_plugin_abi_version(), checked again after opening and before the
// entry point runs. A plugin whose version differs is never opened, so none
// of its code (not even its static initializers, which call into opgraph)
// runs. The protobuf version and the libstdc++ string ABI
// (_GLIBCXX_USE_CXX11_ABI) the plugin was compiled with are checked the same
// way, and also at compile time by this header.
//
// Bump OPGRAPH_PLUGIN_ABI_VERSION whenever a change could make a plugin
// compiled against the old headers misbehave with the new library: any
// change to the layout or virtual functions of a class a plugin derives from
// or receives (OperatorBase, GradientMakerBase, OpRegistrar, OpSchema,
// Tensor, ...), to an inline function or template in core/*.h, to the
// signature of a function the registration macros or the entry point call,
// to the .proto messages, or to OpgraphPluginInfo after abi_version. Adding a
// new non-virtual function or a new header does not need a bump. The first
// two fields of OpgraphPluginInfo and the signature of
// opgraph_plugin_abi_version() never change.
#ifndef OPGRAPH_CORE_PLUGIN_H_
#define OPGRAPH_CORE_PLUGIN_H_

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/plugin_config.h"  // Generated: what this opgraph was built with.
#include "core/registry.h"
#include "google/protobuf/stubs/common.h"

#define OPGRAPH_PLUGIN_ABI_VERSION 2

#if __cplusplus < 201703L
#error "opgraph plugins must be compiled as C++17 or later (opgraph uses C++17)."
#endif

// Compile-time guards against the silent mismatches that break plugins at
// load time with undefined or, worse, wrongly resolved symbols.
#if defined(GOOGLE_PROTOBUF_VERSION) && \
    GOOGLE_PROTOBUF_VERSION != OPGRAPH_BUILT_WITH_PROTOBUF_VERSION
#error \
    "This plugin is compiled against other protobuf headers than opgraph was built with; see OPGRAPH_BUILT_WITH_PROTOBUF_VERSION in core/plugin_config.h. Use the same protobuf."
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI) && OPGRAPH_BUILT_WITH_CXX11_ABI >= 0 && \
    _GLIBCXX_USE_CXX11_ABI != OPGRAPH_BUILT_WITH_CXX11_ABI
#error \
    "This plugin is compiled with another _GLIBCXX_USE_CXX11_ABI than opgraph was built with (see core/plugin_config.h); std::string would differ across the boundary."
#endif

extern "C" {

// What a plugin was compiled against. The magic and abi_version fields keep
// their place forever; the others are read only when abi_version matches.
struct OpgraphPluginInfo {
  char magic[16];             // "opgraph-plugin" NUL-padded.
  uint32_t abi_version;       // OPGRAPH_PLUGIN_ABI_VERSION.
  uint32_t protobuf_version;  // GOOGLE_PROTOBUF_VERSION, e.g. 3021012.
  int32_t cxx11_abi;          // _GLIBCXX_USE_CXX11_ABI, -1 without libstdc++.
  int32_t cplusplus;          // __cplusplus / 100, e.g. 2017.
  char opgraph_version[16];   // OPGRAPH_VERSION_STRING of the headers.
};

// The entry point's result: code is an absl::StatusCode value (0 is OK);
// message is NUL-terminated and may be truncated.
struct OpgraphPluginStatus {
  int32_t code;
  char message[1024];
};

// The symbols a plugin exports (OPGRAPH_PLUGIN_ENTRY defines them).
typedef uint32_t (*OpgraphPluginAbiVersionFn)(void);
typedef const OpgraphPluginInfo* (*OpgraphPluginInfoFn)(void);
typedef void (*OpgraphPluginRegisterFn)(opgraph::OpRegistrar* registrar, uint32_t host_abi_version,
                                        OpgraphPluginStatus* status);

}  // extern "C"

namespace opgraph {

inline constexpr char kPluginAbiVersionSymbol[] = "opgraph_plugin_abi_version";
inline constexpr char kPluginInfoSymbol[] = "opgraph_plugin_info";
inline constexpr char kPluginRegisterSymbol[] = "opgraph_plugin_register";
inline constexpr char kPluginInfoSection[] = ".opgraph_plugin_info";
inline constexpr char kPluginMagic[] = "opgraph-plugin";

// Loads the plugin library at `path` and registers its operators, all or
// nothing. Steps: the file's .opgraph_plugin_info section is checked before
// the library is opened; then it is opened (dlopen RTLD_NOW | RTLD_LOCAL)
// with its static registrations collected in a batch labelled with the
// plugin's real path; the ABI symbol is checked again; the entry point runs
// with that batch as registrar; the batch is applied to
// OpRegistry::Global(). Registered operators then behave like built-ins;
// OpRegistry::SourceOf() names the plugin's real path.
//
// Returns OK, also when the same real path (after resolving symlinks) was
// loaded successfully before: that is a no-op. Errors, each naming the path:
//   InvalidArgument    empty path, a directory, a file that is not a loadable
//                      library (dlerror's message: not ELF, undefined symbol,
//                      ...), or a library without the entry point (names
//                      opgraph_plugin_register and OPGRAPH_PLUGIN_ENTRY).
//   NotFound           no file at `path`.
//   FailedPrecondition the plugin was built for another ABI version, protobuf
//                      version or string ABI (both values named); a kernel
//                      without a schema; a registration inside the plugin
//                      failed; or this path failed to load earlier in this
//                      process (the same error is returned again, since the
//                      library stays mapped).
//   AlreadyExists      an operator type, graph pass name or operator role of
//                      the plugin is already registered, by a built-in or
//                      another plugin, including another copy of this
//                      plugin (both sources named).
//   other codes        the code the plugin's entry point returned.
// On any error nothing of the plugin is registered and the registry is as
// before.
//
// Unloading: a plugin is never unloaded. After success the registry holds
// code from it for the life of the process. After a failure that happened
// once the library was opened, it stays mapped too: its static initializers
// have run and may have left pointers to it elsewhere (glog's VLOG sites,
// protobuf's descriptor pool, atexit handlers), so closing it could crash
// the process later.
//
// Thread safety: calls are serialized by a mutex; they may run concurrently
// with any OpRegistry use. A plugin's static initializers must register on
// the loading thread (they do when they use the macros).
absl::Status LoadPlugin(const std::string& path);

// Real paths of the plugins loaded successfully, in load order.
std::vector<std::string> LoadedPlugins();

namespace plugin_internal {

// Runs the plugin's registration function after checking the host's ABI
// version. Called only by OPGRAPH_PLUGIN_ENTRY's generated code. Header
// inline so that it is compiled into the plugin, not taken from the host.
template <typename Fn>
inline void RunPluginEntry(Fn fn, OpRegistrar* registrar, uint32_t host_abi_version,
                           OpgraphPluginStatus* status) {
  absl::Status s;
  if (host_abi_version != OPGRAPH_PLUGIN_ABI_VERSION) {
    s = absl::FailedPreconditionError(
        "plugin built for opgraph plugin ABI " + std::to_string(OPGRAPH_PLUGIN_ABI_VERSION) +
        " was called by a host with ABI " + std::to_string(host_abi_version));
  } else if (registrar == nullptr) {
    s = absl::InvalidArgumentError("plugin entry point called without a registrar");
  } else {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    try {
      s = fn(*registrar);
    } catch (const std::exception& e) {
      s = absl::InternalError(std::string("plugin entry point threw: ") + e.what());
    } catch (...) {
      s = absl::InternalError("plugin entry point threw an exception");
    }
#else
    s = fn(*registrar);
#endif
  }
  status->code = static_cast<int32_t>(s.code());
  const std::string msg(s.message());
  const size_t n =
      msg.size() < sizeof(status->message) - 1 ? msg.size() : sizeof(status->message) - 1;
  msg.copy(status->message, n);
  status->message[n] = '\0';
}

inline absl::Status NoExtraRegistrations(OpRegistrar&) { return absl::OkStatus(); }

}  // namespace plugin_internal
}  // namespace opgraph

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define OPGRAPH_PLUGIN_CXX11_ABI_ _GLIBCXX_USE_CXX11_ABI
#else
#define OPGRAPH_PLUGIN_CXX11_ABI_ -1
#endif

#if defined(__has_attribute)
#if __has_attribute(retain)
#define OPGRAPH_PLUGIN_RETAIN_ __attribute__((retain))
#endif
#endif
#ifndef OPGRAPH_PLUGIN_RETAIN_
#define OPGRAPH_PLUGIN_RETAIN_
#endif

// Defines the plugin's exported symbols; `fn` is a function or lambda
// `absl::Status(opgraph::OpRegistrar&)` that may register more operators
// explicitly. Registrations made with the macros of core/registry.h need no
// call here. Use exactly once per plugin library, at namespace scope
// outside any namespace.
#define OPGRAPH_PLUGIN_ENTRY_WITH(fn)                                                              \
  extern "C" {                                                                                     \
  __attribute__((section(".opgraph_plugin_info"), used))                                           \
  OPGRAPH_PLUGIN_RETAIN_ const OpgraphPluginInfo opgraph_plugin_info_data = {                      \
      "opgraph-plugin",                                                                            \
      OPGRAPH_PLUGIN_ABI_VERSION,                                                                  \
      static_cast<uint32_t>(GOOGLE_PROTOBUF_VERSION),                                              \
      OPGRAPH_PLUGIN_CXX11_ABI_,                                                                   \
      static_cast<int32_t>(__cplusplus / 100),                                                     \
      OPGRAPH_VERSION_STRING};                                                                     \
  __attribute__((visibility("default"))) uint32_t opgraph_plugin_abi_version(void) {               \
    /* Read through volatile so the section is referenced and kept. */                             \
    return *static_cast<const volatile uint32_t*>(&opgraph_plugin_info_data.abi_version);          \
  }                                                                                                \
  __attribute__((visibility("default"))) const OpgraphPluginInfo* opgraph_plugin_info(void) {      \
    return &opgraph_plugin_info_data;                                                              \
  }                                                                                                \
  __attribute__((visibility("default"))) void opgraph_plugin_register(                             \
      ::opgraph::OpRegistrar* registrar, uint32_t host_abi_version, OpgraphPluginStatus* status) { \
    ::opgraph::plugin_internal::RunPluginEntry(fn, registrar, host_abi_version, status);           \
  }                                                                                                \
  }                                                                                                \
  static_assert(true, "require a semicolon")

// The common case: every registration uses the macros of core/registry.h.
#define OPGRAPH_PLUGIN_ENTRY() \
  OPGRAPH_PLUGIN_ENTRY_WITH(::opgraph::plugin_internal::NoExtraRegistrations)

#endif  // OPGRAPH_CORE_PLUGIN_H_
