// .npy files (numpy's format, versions 1.0 to 3.0): the half of
// core/tensor_io.h that reads and writes them; tensor_io.cc has TensorProto.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "core/tensor_io.h"

// Raw data in both formats is little-endian; copying it with memcpy is only
// right on a little-endian host, which is all opgraph targets.
#include "core/tensor_io_internal.h"

namespace opgraph {
namespace {

// ---------------------------------------------------------------------------
// .npy
// ---------------------------------------------------------------------------

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicLen = 6;
// A header can only be this long with our dtypes if it is mostly padding;
// the cap keeps a hostile length from making us read gigabytes of header.
constexpr uint32_t kMaxNpyHeaderBytes = 1 << 20;

struct NpyDtype {
  const char* descr;
  DType dtype;
};
constexpr NpyDtype kNpyDtypes[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<i4", DType::kInt32},
    {"<i8", DType::kInt64},   {"|b1", DType::kBool},    {"|u1", DType::kUint8},
};

const char* NpyDescr(DType dtype) {
  for (const NpyDtype& d : kNpyDtypes) {
    if (d.dtype == dtype) return d.descr;
  }
  return nullptr;
}

std::string SupportedNpyDtypes() {
  std::vector<std::string> names;
  for (const NpyDtype& d : kNpyDtypes) {
    names.push_back(absl::StrCat("'", d.descr, "' (", DTypeName(d.dtype), ")"));
  }
  return absl::StrJoin(names, ", ");
}

struct NpyHeader {
  DType dtype = DType::kUndefined;
  std::string descr;
  std::vector<int64_t> dims;
  int64_t numel = 0;
  size_t data_offset = 0;  // Bytes before the data.
  size_t data_bytes = 0;   // Bytes the shape needs.
};

// The magic string, version and header length: how many bytes precede the
// header text and how long it is. `head` is the start of the file (all of
// it when shorter than 12 bytes).
absl::Status ParseNpyPreamble(absl::string_view head, const std::string& source,
                              size_t* preamble_len, uint32_t* header_len) {
  auto fail = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a valid .npy file: ", what));
  };
  if (head.size() < kNpyMagicLen + 2 || head.substr(0, kNpyMagicLen) != kNpyMagic) {
    if (head.size() >= kNpyMagicLen && head.substr(0, kNpyMagicLen) != kNpyMagic) {
      return fail("it does not start with the magic string \\x93NUMPY");
    }
    return fail(absl::StrCat("only ", head.size(),
                             " bytes, too short for the magic string and "
                             "version"));
  }
  const int major = static_cast<uint8_t>(head[6]);
  const int minor = static_cast<uint8_t>(head[7]);
  if (minor != 0 || major < 1 || major > 3) {
    return fail(absl::StrCat("unsupported format version ", major, ".", minor,
                             " (supported: 1.0, 2.0, 3.0)"));
  }
  const size_t len_bytes = major == 1 ? 2 : 4;
  *preamble_len = kNpyMagicLen + 2 + len_bytes;
  if (head.size() < *preamble_len) {
    return fail(
        absl::StrCat("the file ends inside the header length field (", head.size(), " bytes)"));
  }
  uint32_t len = 0;
  for (size_t i = 0; i < len_bytes; ++i) {
    len |= uint32_t{static_cast<uint8_t>(head[8 + i])} << (8 * i);
  }
  if (len > kMaxNpyHeaderBytes) {
    return fail(absl::StrCat("header length ", len, " exceeds the limit of ", kMaxNpyHeaderBytes,
                             " bytes"));
  }
  *header_len = len;
  return absl::OkStatus();
}

// A tokenizer for the Python literal in the header: just enough of Python's
// syntax for {'key': 'str' | True | False | (int, ...)}.
class HeaderLexer {
 public:
  explicit HeaderLexer(absl::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  char Peek() {
    SkipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  size_t pos() const { return pos_; }
  absl::string_view rest() const { return text_.substr(pos_); }

  // A quoted string without escapes.
  absl::StatusOr<std::string> String() {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') return Error("expected a quoted string");
    const size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') return Error("escape sequences in strings are not supported");
      ++pos_;
    }
    if (pos_ >= text_.size()) return Error("unterminated string");
    std::string s(text_.substr(start, pos_ - start));
    ++pos_;
    return s;
  }

  // A bare word: True, False, or a (possibly negative) decimal integer.
  std::string Word() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && (absl::ascii_isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '-' || text_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(what, " at offset ", pos_, " of the header"));
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

absl::StatusOr<int64_t> ParseDim(const std::string& word, const HeaderLexer& lex) {
  if (word.empty()) return lex.Error("expected an integer in 'shape'");
  size_t i = 0;
  const bool negative = word[0] == '-';
  if (negative) i = 1;
  if (i == word.size()) return lex.Error("expected an integer in 'shape'");
  int64_t v = 0;
  for (; i < word.size(); ++i) {
    const char c = word[i];
    if (c < '0' || c > '9') {
      return lex.Error(absl::StrCat("'", word, "' is not an integer in 'shape'"));
    }
    if (v > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) {
      return absl::ResourceExhaustedError(
          absl::StrCat("dimension ", word, " in 'shape' does not fit in int64"));
    }
    v = v * 10 + (c - '0');
  }
  if (negative) {
    return absl::InvalidArgumentError(absl::StrCat("negative dimension ", word, " in 'shape'"));
  }
  return v;
}

// Parses the header text (everything after the header length field) into
// descr, fortran_order and shape, and checks the trailing padding. Errors
// carry no source; the caller adds it.
absl::Status ParseNpyDict(absl::string_view text, std::string* descr, bool* fortran_order,
                          std::vector<int64_t>* dims) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("the header does not end with a newline");
  }
  HeaderLexer lex(text.substr(0, text.size() - 1));
  if (!lex.Consume('{')) return lex.Error("the header is not a dict: expected '{'");
  bool have_descr = false, have_order = false, have_shape = false;
  while (!lex.Consume('}')) {
    if (lex.AtEnd()) return lex.Error("the header dict is not closed: expected '}'");
    OPGRAPH_ASSIGN_OR_RETURN(std::string key, lex.String());
    if (!lex.Consume(':')) return lex.Error(absl::StrCat("expected ':' after key '", key, "'"));
    bool* seen = nullptr;
    if (key == "descr") {
      seen = &have_descr;
      if (lex.Peek() == '[') {
        return absl::InvalidArgumentError(
            "structured dtypes ('descr' is a list) are not supported");
      }
      OPGRAPH_ASSIGN_OR_RETURN(*descr, lex.String());
    } else if (key == "fortran_order") {
      seen = &have_order;
      const std::string word = lex.Word();
      if (word == "True") {
        *fortran_order = true;
      } else if (word == "False") {
        *fortran_order = false;
      } else {
        return lex.Error(absl::StrCat("'fortran_order' must be True or False, not '", word, "'"));
      }
    } else if (key == "shape") {
      seen = &have_shape;
      if (!lex.Consume('(')) return lex.Error("'shape' must be a tuple such as (2, 3) or (5,)");
      dims->clear();
      bool trailing_comma = false;
      while (!lex.Consume(')')) {
        if (!dims->empty() && !trailing_comma) return lex.Error("expected ',' or ')' in 'shape'");
        OPGRAPH_ASSIGN_OR_RETURN(int64_t d, ParseDim(lex.Word(), lex));
        dims->push_back(d);
        trailing_comma = lex.Consume(',');
      }
      // "(5)" is the integer 5 in Python, not a tuple.
      if (dims->size() == 1 && !trailing_comma) {
        return lex.Error("'shape' (n) is not a tuple; a one-dimensional shape is written (n,)");
      }
    } else {
      return lex.Error(
          absl::StrCat("unknown key '", key, "' (expected 'descr', 'fortran_order' and 'shape')"));
    }
    if (*seen) return lex.Error(absl::StrCat("duplicate key '", key, "'"));
    *seen = true;
    if (!lex.Consume(',')) {
      if (lex.Peek() != '}') return lex.Error("expected ',' or '}' in the header dict");
    }
  }
  // Only spaces may pad the header out to its length.
  if (!lex.AtEnd()) {
    return lex.Error("unexpected text after the header dict (only spaces may pad it)");
  }
  if (!have_descr) return absl::InvalidArgumentError("the header has no 'descr' key");
  if (!have_order) return absl::InvalidArgumentError("the header has no 'fortran_order' key");
  if (!have_shape) return absl::InvalidArgumentError("the header has no 'shape' key");
  return absl::OkStatus();
}

// Validates the header text and computes the data layout.
absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view text, size_t preamble_len,
                                         const std::string& source, const TensorLimits& limits) {
  auto fail = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(source, ": invalid .npy header: ", s.message()));
  };
  NpyHeader h;
  bool fortran_order = false;
  absl::Status s = ParseNpyDict(text, &h.descr, &fortran_order, &h.dims);
  if (!s.ok()) return fail(s);
  for (const NpyDtype& d : kNpyDtypes) {
    if (h.descr == d.descr) h.dtype = d.dtype;
  }
  if (h.dtype == DType::kUndefined) {
    if (!h.descr.empty() && h.descr[0] == '>') {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("dtype '", h.descr,
                       "' is big-endian, which is not supported; save little-endian "
                       "data instead (in numpy: arr.astype(arr.dtype.newbyteorder('<')))")));
    }
    return fail(absl::InvalidArgumentError(
        absl::StrCat("unsupported dtype '", h.descr, "' (supported: ", SupportedNpyDtypes(), ")")));
  }
  if (fortran_order) {
    return fail(absl::InvalidArgumentError(
        "fortran_order is True; only C-order data is supported (in numpy: "
        "np.ascontiguousarray(arr))"));
  }
  absl::StatusOr<int64_t> n = CheckedNumElements(h.dims, h.dtype, limits);
  if (!n.ok()) return fail(n.status());
  h.numel = *n;
  h.data_offset = preamble_len + text.size();
  h.data_bytes = static_cast<size_t>(*n) * DTypeSize(h.dtype);
  return h;
}

absl::Status DataSizeError(const std::string& source, const NpyHeader& h, uint64_t actual) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": the .npy data is ", actual, " bytes but shape ", DimsToString(h.dims),
                   " of '", h.descr, "' needs ", h.data_bytes, " bytes (",
                   actual < h.data_bytes ? "too few" : "too many", ")"));
}

std::string NpyHeaderText(const Tensor& t) {
  std::string dict =
      absl::StrCat("{'descr': '", NpyDescr(t.dtype()), "', 'fortran_order': False, 'shape': (");
  for (size_t i = 0; i < t.dims().size(); ++i) {
    absl::StrAppend(&dict, i > 0 ? ", " : "", t.dims()[i]);
  }
  absl::StrAppend(&dict, t.dims().size() == 1 ? ",), }" : "), }");
  // Like numpy, leave room for the first dimension to grow to 21 digits so
  // the header could be rewritten in place.
  if (!t.dims().empty()) {
    const size_t digits = std::to_string(t.dims()[0]).size();
    if (digits < 21) dict.append(21 - digits, ' ');
  }
  return dict;
}

}  // namespace

absl::StatusOr<Tensor> ParseNpy(const std::string& bytes, const std::string& source,
                                const TensorLimits& limits) {
  size_t preamble_len = 0;
  uint32_t header_len = 0;
  OPGRAPH_RETURN_IF_ERROR(ParseNpyPreamble(bytes, source, &preamble_len, &header_len));
  if (bytes.size() - preamble_len < header_len) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a valid .npy file: the header length ", header_len,
                     " runs past the end of the file (", bytes.size(), " bytes)"));
  }
  OPGRAPH_ASSIGN_OR_RETURN(NpyHeader h,
                           ParseNpyHeader(absl::string_view(bytes).substr(preamble_len, header_len),
                                          preamble_len, source, limits));
  const uint64_t actual = bytes.size() - h.data_offset;
  if (actual != h.data_bytes) return DataSizeError(source, h, actual);
  Tensor t;
  OPGRAPH_RETURN_IF_ERROR(t.Resize(h.dtype, h.dims, limits));
  if (h.data_bytes > 0) {
    const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes.data() + h.data_offset);
    OPGRAPH_RETURN_IF_ERROR(internal::CheckByteValues(data, h.data_bytes, h.dtype, source));
    std::memcpy(t.raw_mutable_data(), data, h.data_bytes);
  }
  return t;
}

absl::StatusOr<Tensor> ReadNpy(const std::string& path, const TensorLimits& limits) {
  struct Closer {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (f == nullptr) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  struct stat st;
  const bool have_stat = fstat(fileno(f.get()), &st) == 0;
  if (have_stat && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a file"));
  }
  auto read_error = [&]() { return absl::InternalError(absl::StrCat(path, ": read error")); };
  // The preamble is at most 12 bytes; a shorter file is reported by
  // ParseNpyPreamble.
  std::string head(12, '\0');
  head.resize(std::fread(head.data(), 1, head.size(), f.get()));
  if (std::ferror(f.get())) return read_error();
  size_t preamble_len = 0;
  uint32_t header_len = 0;
  OPGRAPH_RETURN_IF_ERROR(ParseNpyPreamble(head, path, &preamble_len, &header_len));
  // Bytes of the header already read with the preamble, and of the data
  // when the header is shorter than what was read (the file is then read
  // on without seeking, so that a pipe or FIFO works like a file).
  std::string header = head.substr(preamble_len);
  std::string data_head;
  const size_t have = header.size();
  if (have > header_len) {
    data_head = header.substr(header_len);
    header.resize(header_len);
  } else {
    header.resize(header_len);
    const size_t got = std::fread(header.data() + have, 1, header_len - have, f.get());
    if (std::ferror(f.get())) return read_error();
    if (got != header_len - have) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a valid .npy file: the header length ", header_len,
                       " runs past the end of the file (", preamble_len + have + got, " bytes)"));
    }
  }
  OPGRAPH_ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(header, preamble_len, path, limits));
  // Check the size before allocating, when the file has one.
  if (have_stat && S_ISREG(st.st_mode)) {
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const uint64_t actual = size >= h.data_offset ? size - h.data_offset : 0;
    if (actual != h.data_bytes) return DataSizeError(path, h, actual);
  }
  Tensor t;
  OPGRAPH_RETURN_IF_ERROR(t.Resize(h.dtype, h.dims, limits));
  const size_t first = std::min<size_t>(data_head.size(), h.data_bytes);
  if (first > 0) std::memcpy(t.raw_mutable_data(), data_head.data(), first);
  const size_t got = first + std::fread(static_cast<char*>(t.raw_mutable_data()) + first, 1,
                                        h.data_bytes - first, f.get());
  if (std::ferror(f.get())) return read_error();
  uint64_t extra = data_head.size() - first;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0) extra += n;
  if (got != h.data_bytes || extra > 0) return DataSizeError(path, h, got + extra);
  OPGRAPH_RETURN_IF_ERROR(internal::CheckByteValues(static_cast<const uint8_t*>(t.raw_data()),
                                                    h.data_bytes, h.dtype, path));
  return t;
}

namespace internal {

absl::Status NpyRefusesStrings(const std::string& where) {
  return absl::InvalidArgumentError(absl::StrCat(
      where,
      ": a string tensor cannot be written as .npy (numpy holds byte strings in object "
      "arrays, which .npy stores as pickles); write it as .pb or .pbtxt (a TensorProto "
      "with string_data), or print it with NAME=-"));
}

}  // namespace internal

std::string SerializeNpy(const Tensor& t) {
  CHECK(t.initialized()) << "SerializeNpy of an uninitialized tensor";
  CHECK(t.dtype() != DType::kString) << "SerializeNpy of a string tensor";
  const std::string dict = NpyHeaderText(t);
  // Version 1.0 stores the header length in 2 bytes, 2.0 in 4. The whole
  // preamble + header is padded with spaces to a multiple of 64 bytes and
  // ends with a newline, as numpy does (a full 64 spaces when already
  // aligned).
  int major = 1;
  size_t preamble = kNpyMagicLen + 2 + 2;
  size_t hlen = dict.size() + 1;
  size_t pad = 64 - (preamble + hlen) % 64;
  if (hlen + pad > 0xffff) {
    major = 2;
    preamble = kNpyMagicLen + 2 + 4;
    pad = 64 - (preamble + hlen) % 64;
  }
  const uint32_t header_len = static_cast<uint32_t>(hlen + pad);
  std::string out(kNpyMagic, kNpyMagicLen);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  for (size_t i = 0; i < preamble - kNpyMagicLen - 2; ++i) {
    out.push_back(static_cast<char>((header_len >> (8 * i)) & 0xff));
  }
  out += dict;
  out.append(pad, ' ');
  out.push_back('\n');
  out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  return out;
}

absl::Status WriteNpy(const std::string& path, const Tensor& tensor) {
  if (tensor.dtype() == DType::kString) return internal::NpyRefusesStrings(path);
  return WriteStringToFile(path, SerializeNpy(tensor));
}

}  // namespace opgraph
