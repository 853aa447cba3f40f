#include "core/tensor_io.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/net_io.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::opgraph::testing::MakeTensor;
using ::opgraph::testing::ToVector;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/tensor_io_test_", name);
}

Tensor BoolTensor(const std::vector<int64_t>& dims, const std::vector<int>& values) {
  Tensor t;
  CHECK(t.Resize(DType::kBool, dims).ok());
  for (size_t i = 0; i < values.size(); ++i) t.mutable_data<bool>()[i] = values[i] != 0;
  return t;
}

TensorProto ParseText(const std::string& text) {
  TensorProto p;
  CHECK(google::protobuf::TextFormat::ParseFromString(text, &p)) << text;
  return p;
}

// ---------------------------------------------------------------------------
// TensorProto
// ---------------------------------------------------------------------------

TEST(TensorFromProtoTest, TypedFields) {
  absl::StatusOr<Tensor> f = TensorFromProto(
      ParseText("name: 'x' dims: 2 dims: 2 data_type: FLOAT float_data: [1, -2, 0.5, 3]"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->type(), (TensorType{DType::kFloat32, {2, 2}}));
  EXPECT_EQ(ToVector<float>(*f), (std::vector<float>{1, -2, 0.5f, 3}));

  absl::StatusOr<Tensor> d =
      TensorFromProto(ParseText("dims: 3 data_type: DOUBLE double_data: [0.1, -1e300, 7]"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(ToVector<double>(*d), (std::vector<double>{0.1, -1e300, 7}));

  absl::StatusOr<Tensor> i32 =
      TensorFromProto(ParseText("dims: 2 data_type: INT32 int32_data: [-2147483648, 5]"));
  ASSERT_TRUE(i32.ok()) << i32.status();
  EXPECT_EQ(ToVector<int32_t>(*i32), (std::vector<int32_t>{INT32_MIN, 5}));

  absl::StatusOr<Tensor> i64 = TensorFromProto(
      ParseText("dims: 2 data_type: INT64 int64_data: [-9223372036854775808, 9000000000]"));
  ASSERT_TRUE(i64.ok()) << i64.status();
  EXPECT_EQ(ToVector<int64_t>(*i64), (std::vector<int64_t>{INT64_MIN, 9000000000LL}));

  // Caffe2 keeps BOOL and UINT8 values in int32_data.
  absl::StatusOr<Tensor> b =
      TensorFromProto(ParseText("dims: 3 data_type: BOOL int32_data: [1, 0, 1]"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(ToVector<bool>(*b), (std::vector<bool>{true, false, true}));

  absl::StatusOr<Tensor> u8 =
      TensorFromProto(ParseText("dims: 3 data_type: UINT8 int32_data: [0, 255, 7]"));
  ASSERT_TRUE(u8.ok()) << u8.status();
  EXPECT_EQ(ToVector<uint8_t>(*u8), (std::vector<uint8_t>{0, 255, 7}));
}

TEST(TensorFromProtoTest, ScalarAndEmpty) {
  // No dims: a scalar with one value.
  absl::StatusOr<Tensor> s = TensorFromProto(ParseText("data_type: FLOAT float_data: 4"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ndim(), 0);
  EXPECT_EQ(ToVector<float>(*s), std::vector<float>{4});
  // A zero dim and no values.
  absl::StatusOr<Tensor> e = TensorFromProto(ParseText("dims: 0 dims: 5 data_type: DOUBLE"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type(), (TensorType{DType::kFloat64, {0, 5}}));
}

TEST(TensorFromProtoTest, RawAndByteData) {
  TensorProto p;
  p.set_data_type(TensorProto::FLOAT);
  p.add_dims(3);
  // Little-endian IEEE 754 single: 1.5 = 0x3fc00000, -2 = 0xc0000000,
  // 0.25 = 0x3e800000 (hand-encoded).
  p.set_raw_data(std::string("\x00\x00\xc0\x3f\x00\x00\x00\xc0\x00\x00\x80\x3e", 12));
  absl::StatusOr<Tensor> f = TensorFromProto(p);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(ToVector<float>(*f), (std::vector<float>{1.5f, -2.0f, 0.25f}));

  TensorProto q;
  q.set_data_type(TensorProto::INT64);
  q.add_dims(1);
  // -2 as little-endian two's complement int64.
  q.set_byte_data(std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8));
  absl::StatusOr<Tensor> i = TensorFromProto(q);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(ToVector<int64_t>(*i), std::vector<int64_t>{-2});

  TensorProto u;
  u.set_data_type(TensorProto::UINT8);
  u.add_dims(2);
  u.set_byte_data(std::string("\x09\xff", 2));
  absl::StatusOr<Tensor> ut = TensorFromProto(u);
  ASSERT_TRUE(ut.ok()) << ut.status();
  EXPECT_EQ(ToVector<uint8_t>(*ut), (std::vector<uint8_t>{9, 255}));
}

TEST(TensorFromProtoTest, RoundTripEveryDtype) {
  std::vector<Tensor> tensors;
  tensors.push_back(MakeTensor<float>({2, 3}, {1, -2, 3.25f, 0, -0.0f, 1e-30f}));
  tensors.push_back(MakeTensor<double>({2}, {0.1, -3e200}));
  tensors.push_back(MakeTensor<int32_t>({1, 2}, {-7, 2147483647}));
  tensors.push_back(MakeTensor<int64_t>({3}, {-1, 0, 1LL << 40}));
  tensors.push_back(BoolTensor({2, 1}, {1, 0}));
  tensors.push_back(MakeTensor<uint8_t>({4}, {0, 1, 128, 255}));
  tensors.push_back(MakeTensor<float>({0, 4}, {}));
  for (const Tensor& t : tensors) {
    TensorProto p = TensorToProto(t, "blob");
    EXPECT_EQ(p.name(), "blob");
    // Through the wire format as well.
    TensorProto back;
    ASSERT_TRUE(back.ParseFromString(SerializeDeterministic(p)));
    absl::StatusOr<Tensor> r = TensorFromProto(back);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->type(), t.type());
    EXPECT_EQ(0, std::memcmp(r->raw_data(), t.raw_data(), t.nbytes())) << t.DebugString();
  }
  // BOOL and UINT8 go to int32_data, as in Caffe2.
  EXPECT_EQ(TensorToProto(tensors[4], "b").int32_data_size(), 2);
  EXPECT_EQ(TensorToProto(tensors[5], "u").int32_data_size(), 4);
}

TEST(TensorFromProtoTest, CountMismatchNamesTensorDimsAndCounts) {
  absl::StatusOr<Tensor> t = TensorFromProto(ParseText(
      "name: 'weights' dims: 2 dims: 4 data_type: FLOAT float_data: [1, 2, 3, 4, 5, 6, 7]"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("tensor 'weights'"));
  EXPECT_THAT(t.status().message(), HasSubstr("[2, 4]"));
  EXPECT_THAT(t.status().message(), HasSubstr("8 elements"));
  EXPECT_THAT(t.status().message(), HasSubstr("7 values"));
  EXPECT_THAT(t.status().message(), HasSubstr("float_data"));

  // No values at all for a non-empty shape.
  absl::StatusOr<Tensor> none = TensorFromProto(ParseText("name: 'z' dims: 3 data_type: INT32"));
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("3 elements but no value field carries 0"));
}

TEST(TensorFromProtoTest, RawDataOfWrongLength) {
  TensorProto p;
  p.set_name("r");
  p.set_data_type(TensorProto::DOUBLE);
  p.add_dims(1);
  p.set_raw_data(std::string(7, '\0'));
  absl::StatusOr<Tensor> t = TensorFromProto(p);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("raw_data has 7 bytes, not a multiple of 8"));

  // A whole number of elements, but not the right number.
  p.set_raw_data(std::string(16, '\0'));
  t = TensorFromProto(p);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("1 elements but raw_data carries 2 values"));
}

TEST(TensorFromProtoTest, BadDims) {
  absl::StatusOr<Tensor> neg =
      TensorFromProto(ParseText("name: 'n' dims: 2 dims: -1 data_type: FLOAT"));
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(neg.status().message(), HasSubstr("tensor 'n'"));
  EXPECT_THAT(neg.status().message(), HasSubstr("negative"));

  absl::StatusOr<Tensor> big = TensorFromProto(ParseText(
      "name: 'o' dims: 4294967296 dims: 4294967296 dims: 4 data_type: FLOAT float_data: 1"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(big.status().message(), HasSubstr("tensor 'o'"));
  EXPECT_THAT(big.status().message(), HasSubstr("overflows"));
}

TEST(TensorFromProtoTest, UnsupportedDataTypesNamed) {
  for (const char* type : {"FLOAT16", "BYTE", "INT8", "INT16", "UINT16", "UNDEFINED"}) {
    absl::StatusOr<Tensor> t =
        TensorFromProto(ParseText(absl::StrCat("name: 's' dims: 1 data_type: ", type)));
    ASSERT_FALSE(t.ok()) << type;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(t.status().message(), HasSubstr(absl::StrCat("unsupported data_type ", type)));
    EXPECT_THAT(t.status().message(), HasSubstr("tensor 's'"));
  }
  // A data_type number the enum does not define: binary field 2 (tag 0x10)
  // with varint 99 ends up in the unknown fields.
  TensorProto p;
  ASSERT_TRUE(p.ParseFromString(std::string("\x10\x63", 2)));
  absl::StatusOr<Tensor> t = TensorFromProto(p);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("data_type 99 is not a TensorProto.DataType"));
}

TEST(TensorFromProtoTest, ValuesInTheWrongOrTwoFields) {
  absl::StatusOr<Tensor> wrong =
      TensorFromProto(ParseText("name: 'w' dims: 1 data_type: FLOAT int32_data: 1"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(),
              HasSubstr("FLOAT carries its values in float_data or raw_data, not in int32_data"));

  TensorProto both = ParseText("name: 'b' dims: 1 data_type: FLOAT float_data: 1");
  both.set_raw_data(std::string(4, '\0'));
  absl::StatusOr<Tensor> t = TensorFromProto(both);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("both float_data and raw_data"));
}

TEST(TensorFromProtoTest, OutOfRangeBoolAndUint8) {
  absl::StatusOr<Tensor> b =
      TensorFromProto(ParseText("name: 'b' dims: 2 data_type: BOOL int32_data: [1, 2]"));
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr("BOOL element 1 is 2"));
  absl::StatusOr<Tensor> u =
      TensorFromProto(ParseText("name: 'u' dims: 1 data_type: UINT8 int32_data: 256"));
  ASSERT_FALSE(u.ok());
  EXPECT_THAT(u.status().message(), HasSubstr("UINT8 element 0 is 256"));
  TensorProto raw_bool = ParseText("name: 'rb' dims: 2 data_type: BOOL");
  raw_bool.set_raw_data(std::string("\x01\x07", 2));
  absl::StatusOr<Tensor> rb = TensorFromProto(raw_bool);
  ASSERT_FALSE(rb.ok());
  EXPECT_THAT(rb.status().message(), HasSubstr("bool element 1 is the byte 7"));
}

TEST(TensorFromProtoTest, SegmentRejected) {
  absl::StatusOr<Tensor> t = TensorFromProto(
      ParseText("name: 'c' dims: 1 data_type: FLOAT float_data: 1 segment { begin: 0 end: 1 }"));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("segment"));
}

// ---------------------------------------------------------------------------
// .npy
// ---------------------------------------------------------------------------

// A .npy file assembled by hand: magic, version, little-endian header
// length, header text (padded with spaces and a newline so that the
// preamble + header is a multiple of `align`), data.
std::string NpyBytes(const std::string& dict, const std::string& data, int major = 1,
                     size_t align = 64) {
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t preamble = 8 + len_bytes;
  std::string header = dict;
  while ((preamble + header.size() + 1) % align != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out = std::string("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  for (size_t i = 0; i < len_bytes; ++i) {
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  }
  return out + header + data;
}

// 1.5f, -2.0f, 0.25f, 0.0f, 1.0f, -1.0f as little-endian bytes (hand-encoded).
const std::string kSixFloats(
    "\x00\x00\xc0\x3f\x00\x00\x00\xc0\x00\x00\x80\x3e"
    "\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x80\xbf",
    24);

TEST(NpyTest, ParsesHandWrittenFile) {
  absl::StatusOr<Tensor> t = ParseNpy(
      NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", kSixFloats), "a.npy");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->type(), (TensorType{DType::kFloat32, {2, 3}}));
  EXPECT_EQ(ToVector<float>(*t), (std::vector<float>{1.5f, -2, 0.25f, 0, 1, -1}));
}

TEST(NpyTest, HeaderVariants) {
  // Version 2.0 and 3.0 (4-byte header length), old 16-byte alignment,
  // double quotes, keys in another order, no trailing comma.
  for (int major : {1, 2, 3}) {
    absl::StatusOr<Tensor> t =
        ParseNpy(NpyBytes("{\"shape\": (6,), \"fortran_order\": False, \"descr\": \"<f4\"}",
                          kSixFloats, major, 16),
                 "v.npy");
    ASSERT_TRUE(t.ok()) << major << ": " << t.status();
    EXPECT_EQ(t->dims(), std::vector<int64_t>{6});
    EXPECT_EQ(ToVector<float>(*t)[0], 1.5f);
  }
  // Scalar: shape ().  -0.5 as a little-endian double is 0xbfe0000000000000.
  absl::StatusOr<Tensor> s =
      ParseNpy(NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                        std::string("\x00\x00\x00\x00\x00\x00\xe0\xbf", 8)),
               "s.npy");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ndim(), 0);
  EXPECT_EQ(ToVector<double>(*s), std::vector<double>{-0.5});
  // Empty: shape (0, 3).
  absl::StatusOr<Tensor> e =
      ParseNpy(NpyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (0, 3), }", ""), "e");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type(), (TensorType{DType::kInt64, {0, 3}}));
  // The one-byte types.
  absl::StatusOr<Tensor> b =
      ParseNpy(NpyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                        std::string("\1\0\1", 3)),
               "b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(ToVector<bool>(*b), (std::vector<bool>{true, false, true}));
  absl::StatusOr<Tensor> u =
      ParseNpy(NpyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }",
                        std::string("\xff\x05", 2)),
               "u");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(ToVector<uint8_t>(*u), (std::vector<uint8_t>{255, 5}));
  absl::StatusOr<Tensor> i =
      ParseNpy(NpyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }",
                        std::string("\xfe\xff\xff\xff", 4)),
               "i");
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(ToVector<int32_t>(*i), std::vector<int32_t>{-2});
}

TEST(NpyTest, SerializeMatchesHandComputedLayout) {
  const Tensor t = MakeTensor<float>({2, 3}, {1.5f, -2, 0.25f, 0, 1, -1});
  // The dict is 59 characters; numpy's layout adds 20 spaces (room for a
  // 21-digit first dimension) and pads to 64: 10 + 59 + 58 + 1 = 128, so
  // the header length is 118 = 0x76.
  const std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                               "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
                               std::string(58, ' ') + "\n" + kSixFloats;
  EXPECT_EQ(SerializeNpy(t), expected);
}

TEST(NpyTest, RoundTripEveryDtypeThroughFiles) {
  std::vector<Tensor> tensors;
  tensors.push_back(MakeTensor<float>({2, 3}, {1, -2, 3.25f, 0, -0.0f, 1e-30f}));
  tensors.push_back(MakeTensor<double>({2}, {0.1, -3e200}));
  tensors.push_back(MakeTensor<int32_t>({1, 2}, {-7, 2147483647}));
  tensors.push_back(MakeTensor<int64_t>({3}, {-1, 0, 1LL << 40}));
  tensors.push_back(BoolTensor({2, 1}, {1, 0}));
  tensors.push_back(MakeTensor<uint8_t>({4}, {0, 1, 128, 255}));
  tensors.push_back(MakeTensor<float>({}, {42}));
  tensors.push_back(MakeTensor<double>({3, 0}, {}));
  int k = 0;
  for (const Tensor& t : tensors) {
    const std::string bytes = SerializeNpy(t);
    EXPECT_EQ((bytes.size() - t.nbytes()) % 64, 0u);
    absl::StatusOr<Tensor> r = ParseNpy(bytes, "mem");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->type(), t.type());
    EXPECT_EQ(0, std::memcmp(r->raw_data(), t.raw_data(), t.nbytes()));

    const std::string path = TempPath(absl::StrCat("rt", k++, ".npy"));
    ASSERT_TRUE(WriteNpy(path, t).ok());
    absl::StatusOr<Tensor> f = ReadNpy(path);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(f->type(), t.type());
    EXPECT_EQ(0, std::memcmp(f->raw_data(), t.raw_data(), t.nbytes()));
  }
}

struct BadNpy {
  const char* what;
  std::string bytes;
  absl::StatusCode code;
  const char* message;
};

std::vector<BadNpy> BadNpyCases() {
  const std::string f23 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string no_newline = NpyBytes(f23, kSixFloats);
  no_newline[127] = ' ';
  std::string long_header = NpyBytes(f23, "");
  long_header[8] = '\xff';  // header length 0x00ff = 255 > the 118 bytes present
  return {
      {"empty", "", absl::StatusCode::kInvalidArgument, "too short"},
      {"magic", "\x93NUMPZ\x01\x00\x10\x00", absl::StatusCode::kInvalidArgument, "magic string"},
      {"version", std::string("\x93NUMPY\x04\x00\x10\x00", 10) + std::string(16, ' '),
       absl::StatusCode::kInvalidArgument, "unsupported format version 4.0"},
      {"minor version", std::string("\x93NUMPY\x01\x01\x10\x00", 10),
       absl::StatusCode::kInvalidArgument, "unsupported format version 1.1"},
      {"truncated length", std::string("\x93NUMPY\x02\x00\x10", 9),
       absl::StatusCode::kInvalidArgument, "ends inside the header length"},
      {"header past end", long_header, absl::StatusCode::kInvalidArgument,
       "header length 255 runs past the end"},
      {"no newline", no_newline, absl::StatusCode::kInvalidArgument, "does not end with a newline"},
      {"not a dict", NpyBytes("['descr']", ""), absl::StatusCode::kInvalidArgument, "expected '{'"},
      {"unclosed", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", ""),
       absl::StatusCode::kInvalidArgument, "not closed"},
      {"unknown key",
       NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", kSixFloats),
       absl::StatusCode::kInvalidArgument, "unknown key 'x'"},
      {"duplicate key",
       NpyBytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}",
                kSixFloats),
       absl::StatusCode::kInvalidArgument, "duplicate key 'descr'"},
      {"missing shape", NpyBytes("{'descr': '<f4', 'fortran_order': False}", kSixFloats),
       absl::StatusCode::kInvalidArgument, "no 'shape' key"},
      {"missing descr", NpyBytes("{'fortran_order': False, 'shape': (6,)}", kSixFloats),
       absl::StatusCode::kInvalidArgument, "no 'descr' key"},
      {"bad fortran", NpyBytes("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}", kSixFloats),
       absl::StatusCode::kInvalidArgument, "'fortran_order' must be True or False"},
      {"garbage after dict",
       NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} x", kSixFloats),
       absl::StatusCode::kInvalidArgument, "unexpected text after the header dict"},
      {"big-endian",
       NpyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "dtype '>f4' is big-endian"},
      {"float16",
       NpyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (12,), }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "unsupported dtype '<f2'"},
      {"int8", NpyBytes("{'descr': '|i1', 'fortran_order': False, 'shape': (24,), }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "unsupported dtype '|i1'"},
      {"structured",
       NpyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "structured dtypes"},
      {"fortran",
       NpyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "fortran_order is True"},
      {"int shape",
       NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "not a tuple"},
      {"list shape",
       NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': [6], }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "'shape' must be a tuple"},
      {"negative dim",
       NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "negative dimension -2"},
      {"bad dim",
       NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3), }", kSixFloats),
       absl::StatusCode::kInvalidArgument, "'2L' is not an integer"},
      {"overflowing shape",
       NpyBytes("{'descr': '<f4', 'fortran_order': False, "
                "'shape': (4294967296, 4294967296, 4), }",
                kSixFloats),
       absl::StatusCode::kResourceExhausted, "overflows"},
      {"dim beyond int64",
       NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
                kSixFloats),
       absl::StatusCode::kResourceExhausted, "does not fit in int64"},
      {"too few bytes", NpyBytes(f23, kSixFloats.substr(0, 20)), absl::StatusCode::kInvalidArgument,
       "data is 20 bytes but shape [2, 3] of '<f4' needs 24 bytes (too few)"},
      {"too many bytes", NpyBytes(f23, kSixFloats + "xx"), absl::StatusCode::kInvalidArgument,
       "data is 26 bytes but shape [2, 3] of '<f4' needs 24 bytes (too many)"},
      {"bool byte", NpyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", "\1\2"),
       absl::StatusCode::kInvalidArgument, "bool element 1 is the byte 2"},
  };
}

TEST(NpyTest, MalformedInputRejectedWithNamedProblem) {
  int k = 0;
  for (const BadNpy& c : BadNpyCases()) {
    absl::StatusOr<Tensor> t = ParseNpy(c.bytes, "bad.npy");
    ASSERT_FALSE(t.ok()) << c.what;
    EXPECT_EQ(t.status().code(), c.code) << c.what << ": " << t.status();
    EXPECT_THAT(t.status().message(), HasSubstr("bad.npy")) << c.what;
    EXPECT_THAT(t.status().message(), HasSubstr(c.message)) << c.what;

    // The file reader reaches the same verdict.
    const std::string path = TempPath(absl::StrCat("bad", k++, ".npy"));
    ASSERT_TRUE(WriteStringToFile(path, c.bytes).ok());
    absl::StatusOr<Tensor> f = ReadNpy(path);
    ASSERT_FALSE(f.ok()) << c.what;
    EXPECT_EQ(f.status().code(), c.code) << c.what << ": " << f.status();
    EXPECT_THAT(f.status().message(), HasSubstr(path)) << c.what;
    EXPECT_THAT(f.status().message(), HasSubstr(c.message)) << c.what << ": " << f.status();
  }
}

TEST(NpyTest, MissingFile) {
  absl::StatusOr<Tensor> t = ReadNpy(TempPath("does_not_exist.npy"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(t.status().message(), HasSubstr("does_not_exist.npy: no such file"));
}

// ---------------------------------------------------------------------------
// ReadTensorFile / WriteTensorFile
// ---------------------------------------------------------------------------

TEST(TensorFileTest, DispatchesOnExtension) {
  const Tensor t = MakeTensor<double>({2}, {-1.25, 3});
  for (const char* ext : {".npy", ".pb", ".pbtxt"}) {
    const std::string path = TempPath(absl::StrCat("file", ext));
    ASSERT_TRUE(WriteTensorFile(path, t, "x").ok());
    absl::StatusOr<Tensor> r = ReadTensorFile(path);
    ASSERT_TRUE(r.ok()) << ext << ": " << r.status();
    EXPECT_EQ(ToVector<double>(*r), (std::vector<double>{-1.25, 3})) << ext;
  }
  // The text file really is text, the .npy really is .npy.
  absl::StatusOr<std::string> text = ReadFileToString(TempPath("file.pbtxt"));
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("data_type: DOUBLE"));
  absl::StatusOr<std::string> npy = ReadFileToString(TempPath("file.npy"));
  ASSERT_TRUE(npy.ok());
  EXPECT_EQ(npy->substr(0, 6), "\x93NUMPY");
}

TEST(TensorFileTest, ErrorsNameThePath) {
  const std::string bad = TempPath("bad_count.pbtxt");
  ASSERT_TRUE(WriteStringToFile(bad, "name: 'q' dims: 3 data_type: FLOAT float_data: [1, 2]").ok());
  absl::StatusOr<Tensor> t = ReadTensorFile(bad);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr(bad));
  EXPECT_THAT(t.status().message(), HasSubstr("tensor 'q'"));

  const std::string syntax = TempPath("syntax.pbtxt");
  ASSERT_TRUE(WriteStringToFile(syntax, "dims: 3\n}\n").ok());
  t = ReadTensorFile(syntax);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("line 2, column 1"));

  t = ReadTensorFile(TempPath("missing.pb"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace opgraph
