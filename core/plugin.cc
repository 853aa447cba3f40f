#include "core/plugin.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace opgraph {
namespace {

static_assert(GOOGLE_PROTOBUF_VERSION == OPGRAPH_BUILT_WITH_PROTOBUF_VERSION,
              "core/plugin_config.h disagrees with the protobuf headers in use");

struct PluginState {
  absl::Mutex mu;
  std::vector<std::string> loaded ABSL_GUARDED_BY(mu);  // Real paths, load order.
  std::set<std::string> loaded_set ABSL_GUARDED_BY(mu);
  // Real path -> the error of a load that failed after the library was
  // opened. The library stays mapped, so a retry would reuse it unchanged.
  std::map<std::string, absl::Status> failed ABSL_GUARDED_BY(mu);
};

PluginState& State() {
  static PluginState* state = new PluginState();
  return *state;
}

std::string ProtobufVersionString(uint32_t v) {
  return absl::StrCat(v / 1000000, ".", v / 1000 % 1000, ".", v % 1000);
}

int HostCxx11Abi() {
#if defined(_GLIBCXX_USE_CXX11_ABI)
  return _GLIBCXX_USE_CXX11_ABI;
#else
  return -1;
#endif
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool ReadAt(int fd, uint64_t offset, uint64_t file_size, void* buf, size_t n) {
  if (offset > file_size || n > file_size - offset) return false;
  size_t done = 0;
  while (done < n) {
    ssize_t r =
        pread(fd, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

enum class InfoLookup { kNotElf, kNoSection, kFound };

// Finds the .opgraph_plugin_info section by reading the ELF section headers
// of the file, without loading it. Files that are not 64-bit ELF of this
// machine's byte order are kNotElf: dlopen then explains what is wrong.
InfoLookup ReadPluginInfo(const std::string& path, uint64_t file_size, OpgraphPluginInfo* info) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return InfoLookup::kNotElf;
  Elf64_Ehdr eh;
  if (!ReadAt(fd.get(), 0, file_size, &eh, sizeof(eh))) return InfoLookup::kNotElf;
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return InfoLookup::kNotElf;
  }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return InfoLookup::kNotElf;
#else
  if (eh.e_ident[EI_DATA] != ELFDATA2MSB) return InfoLookup::kNotElf;
#endif
  if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Elf64_Shdr)) return InfoLookup::kNoSection;
  auto section = [&](uint64_t i, Elf64_Shdr* sh) {
    return ReadAt(fd.get(), eh.e_shoff + i * sizeof(Elf64_Shdr), file_size, sh, sizeof(*sh));
  };
  uint64_t count = eh.e_shnum;
  uint64_t names_index = eh.e_shstrndx;
  if (count == 0 || names_index == SHN_XINDEX) {  // Extended numbering.
    Elf64_Shdr first;
    if (!section(0, &first)) return InfoLookup::kNoSection;
    if (count == 0) count = first.sh_size;
    if (names_index == SHN_XINDEX) names_index = first.sh_link;
  }
  if (count > file_size / sizeof(Elf64_Shdr) || names_index >= count) {
    return InfoLookup::kNoSection;
  }
  Elf64_Shdr names;
  if (!section(names_index, &names) || names.sh_type == SHT_NOBITS) {
    return InfoLookup::kNoSection;
  }
  const size_t wanted_len = sizeof(kPluginInfoSection);  // With the NUL.
  for (uint64_t i = 0; i < count; ++i) {
    Elf64_Shdr sh;
    if (!section(i, &sh)) return InfoLookup::kNoSection;
    if (sh.sh_name >= names.sh_size || names.sh_size - sh.sh_name < wanted_len) continue;
    char name[sizeof(kPluginInfoSection)];
    if (!ReadAt(fd.get(), names.sh_offset + sh.sh_name, file_size, name, wanted_len)) continue;
    if (std::memcmp(name, kPluginInfoSection, wanted_len) != 0) continue;
    if (sh.sh_type == SHT_NOBITS || sh.sh_size < sizeof(OpgraphPluginInfo)) {
      return InfoLookup::kNoSection;
    }
    if (!ReadAt(fd.get(), sh.sh_offset, file_size, info, sizeof(*info))) {
      return InfoLookup::kNoSection;
    }
    if (std::memcmp(info->magic, kPluginMagic, sizeof(kPluginMagic)) != 0) {
      return InfoLookup::kNoSection;
    }
    return InfoLookup::kFound;
  }
  return InfoLookup::kNoSection;
}

std::string MissingEntryPoint(const std::string& path, const char* symbol) {
  return absl::StrCat("plugin '", path, "' is not an opgraph plugin: it does not define ", symbol,
                      " (add OPGRAPH_PLUGIN_ENTRY() from core/plugin.h to one ",
                      "of its source files)");
}

// Checks what the plugin was compiled against against this library.
absl::Status CheckInfo(const std::string& path, const OpgraphPluginInfo& info) {
  if (info.abi_version != OPGRAPH_PLUGIN_ABI_VERSION) {
    return absl::FailedPreconditionError(absl::StrCat(
        "plugin '", path, "' was built for opgraph plugin ABI version ", info.abi_version,
        " but this opgraph (", OPGRAPH_VERSION_STRING, ") has plugin ABI version ",
        OPGRAPH_PLUGIN_ABI_VERSION, "; rebuild the plugin against this opgraph"));
  }
  if (info.protobuf_version != static_cast<uint32_t>(GOOGLE_PROTOBUF_VERSION)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "plugin '", path, "' was built with protobuf ",
        ProtobufVersionString(info.protobuf_version), " but opgraph uses protobuf ",
        ProtobufVersionString(GOOGLE_PROTOBUF_VERSION), "; rebuild it against the same protobuf"));
  }
  if (info.cxx11_abi != HostCxx11Abi()) {
    return absl::FailedPreconditionError(
        absl::StrCat("plugin '", path, "' was built with _GLIBCXX_USE_CXX11_ABI=", info.cxx11_abi,
                     " but opgraph with _GLIBCXX_USE_CXX11_ABI=", HostCxx11Abi(),
                     "; rebuild it with the same setting"));
  }
  return absl::OkStatus();
}

absl::StatusCode PluginCode(int32_t code) {
  if (code <= 0 || code > static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
    return absl::StatusCode::kInternal;
  }
  return static_cast<absl::StatusCode>(code);
}

// The part of LoadPlugin after the library is open. Never closes `handle`.
absl::Status RegisterFromHandle(const std::string& path, void* handle, RegistrationBatch batch) {
  dlerror();
  auto abi_fn = reinterpret_cast<OpgraphPluginAbiVersionFn>(dlsym(handle, kPluginAbiVersionSymbol));
  if (abi_fn == nullptr) {
    return absl::InvalidArgumentError(MissingEntryPoint(path, kPluginAbiVersionSymbol));
  }
  const uint32_t abi = abi_fn();
  if (abi != OPGRAPH_PLUGIN_ABI_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrCat("plugin '", path, "' reports opgraph plugin ABI version ", abi,
                     " but this opgraph has plugin ABI version ", OPGRAPH_PLUGIN_ABI_VERSION,
                     "; rebuild the plugin against this opgraph"));
  }
  auto info_fn = reinterpret_cast<OpgraphPluginInfoFn>(dlsym(handle, kPluginInfoSymbol));
  if (info_fn == nullptr) {
    return absl::InvalidArgumentError(MissingEntryPoint(path, kPluginInfoSymbol));
  }
  if (const OpgraphPluginInfo* info = info_fn(); info != nullptr) {
    absl::Status s = CheckInfo(path, *info);
    if (!s.ok()) return s;
  }
  auto register_fn =
      reinterpret_cast<OpgraphPluginRegisterFn>(dlsym(handle, kPluginRegisterSymbol));
  if (register_fn == nullptr) {
    return absl::InvalidArgumentError(MissingEntryPoint(path, kPluginRegisterSymbol));
  }
  OpgraphPluginStatus status;
  status.code = static_cast<int32_t>(absl::StatusCode::kUnknown);
  std::strcpy(status.message, "the entry point did not set a status");
  {
    // Registrations made with the macros while the entry point runs (say,
    // from a function-local static) land in the same batch.
    internal::ScopedStartupBatch scope(&batch);
    register_fn(&batch, OPGRAPH_PLUGIN_ABI_VERSION, &status);
  }
  status.message[sizeof(status.message) - 1] = '\0';
  if (status.code != 0) {
    return absl::Status(
        PluginCode(status.code),
        absl::StrCat("plugin '", path, "' failed to register its operators: ", status.message));
  }
  if (batch.empty() && batch.first_error().ok()) {
    LOG(WARNING) << "plugin '" << path << "' registered no operators, passes or roles";
  }
  // Apply names the plugin (the batch's source) and any existing source.
  absl::Status s = OpRegistry::Global().Apply(std::move(batch), /*require_schemas=*/true);
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("cannot load plugin '", path, "': ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadPlugin(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("plugin path is empty");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("plugin file '", path, "' does not exist"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("cannot access plugin file '", path, "': ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin path '", path, "' is not a regular file"));
  }
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve plugin path '", path, "': ", std::strerror(errno)));
  }
  const std::string real = resolved;

  PluginState& state = State();
  absl::MutexLock lock(&state.mu);
  if (state.loaded_set.count(real) != 0) return absl::OkStatus();
  if (auto it = state.failed.find(real); it != state.failed.end()) {
    return absl::Status(it->second.code(),
                        absl::StrCat(it->second.message(),
                                     " (this failure happened earlier in this process; the "
                                     "library stays loaded, so restart to load a fixed file)"));
  }

  // Check the plugin's ABI before opening it: opening runs its static
  // initializers, which already call into opgraph.
  OpgraphPluginInfo info;
  std::memset(&info, 0, sizeof(info));
  switch (ReadPluginInfo(real, static_cast<uint64_t>(st.st_size), &info)) {
    case InfoLookup::kNoSection:
      return absl::InvalidArgumentError(MissingEntryPoint(path, kPluginRegisterSymbol));
    case InfoLookup::kFound: {
      absl::Status s = CheckInfo(path, info);
      if (!s.ok()) return s;
      break;
    }
    case InfoLookup::kNotElf:
      break;  // dlopen below fails and says why.
  }

  // A library already in the process (linked in, or this file under
  // another name such as a hard link) would not run its static
  // initializers again, so only part of it would register.
  if (void* existing = dlopen(real.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_LOCAL)) {
    dlclose(existing);  // Drops only the reference just taken.
    return absl::FailedPreconditionError(absl::StrCat(
        "plugin '", path, "' is already loaded in this process, but not by LoadPlugin ",
        "under this path (linked in, or the same file under another name)"));
  }

  RegistrationBatch batch(real);
  void* handle = nullptr;
  {
    internal::ScopedStartupBatch scope(&batch);
    handle = dlopen(real.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (handle == nullptr) {
    const char* err = dlerror();
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load plugin '", path, "': ", err != nullptr ? err : "dlopen failed"));
  }
  absl::Status s = RegisterFromHandle(path, handle, std::move(batch));
  if (!s.ok()) {
    // Deliberately not dlclose'd; see the contract in plugin.h.
    state.failed.emplace(real, s);
    return s;
  }
  state.loaded.push_back(real);
  state.loaded_set.insert(real);
  return absl::OkStatus();
}

std::vector<std::string> LoadedPlugins() {
  PluginState& state = State();
  absl::MutexLock lock(&state.mu);
  return state.loaded;
}

}  // namespace opgraph
