// `opgraph run` on Caffe2 files: --lenient-args, --input with BlobProto and
// TensorProtos files, and `opgraph convert` with fields opgraph does not
// declare.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace {

using testing::CliResult;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadTestFile;
using testing::RunOpgraph;
using testing::SourcePath;
using testing::TestPath;
using testing::WriteTestFile;

std::string Nets(const std::string& file) { return SourcePath("tests/caffe2/nets/" + file); }

TEST(Caffe2CliTest, LenientArgsWarnsAndRuns) {
  const std::string net = WriteTestFile("lenient.pbtxt", R"(
name: "lenient"
op { type: "ConstantFill" output: "Y" arg { name: "shape" ints: 2 } arg { name: "value" i: 3 }
     arg { name: "vlaue" f: 1 } arg { name: "legacy_pad" i: 0 } }
)");
  CliResult strict = RunOpgraph({"run", net});
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_THAT(strict.err, HasSubstr("has no argument 'vlaue'; did you mean 'value'?"));
  CliResult lenient = RunOpgraph({"run", net, "--lenient-args"});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_THAT(lenient.err, HasSubstr("warning: " + net +
                                     " operator #0 ConstantFill: dropped 'vlaue', "
                                     "'legacy_pad'"));
  EXPECT_THAT(lenient.out, HasSubstr("Y: int64[2]"));
}

// A predict net fed from a Caffe2 BlobProto, then from a TensorProtos
// holding the input under its own name (--input FILE).
TEST(Caffe2CliTest, InputFromSerializedBlobs) {
  CliResult blob = RunOpgraph({"run", Nets("mlp_predict.pb"), "--init", Nets("mlp_init.pb"),
                               "--input", "data=" + Nets("data_blob.pb")});
  EXPECT_EQ(blob.exit_code, 0) << blob.err;
  EXPECT_THAT(blob.out, HasSubstr("prob: float32[5, 3]"));
  CliResult all = RunOpgraph({"run", Nets("mlp_predict.pb"), "--init", Nets("mlp_init.pb"),
                              "--input", Nets("data_label_protos.pb")});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out, blob.out);
  CliResult named = RunOpgraph({"run", Nets("mlp_predict.pb"), "--init", Nets("mlp_init.pb"),
                                "--input", "data=" + Nets("data_label_protos.pb")});
  EXPECT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(named.out, blob.out);
}

// A mobile_exporter init net with a string blob: the strings print as
// Python bytes literals, are written as a TensorProto (string_data) that
// reads back as input, and are refused as .npy with the reason.
TEST(Caffe2CliTest, StringBlobs) {
  const std::vector<std::string> run = {"run", Nets("strings_predict.pb"), "--init",
                                        Nets("strings_init.pb")};
  std::vector<std::string> args = run;
  args.insert(args.end(), {"--output", "names_out=-", "--output",
                           "class_names=" + TestPath("names.pb"), "--output", "lut_out=-"});
  CliResult out = RunOpgraph(args);
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_THAT(out.out, HasSubstr("names_out: string[4]"));
  EXPECT_THAT(out.out, HasSubstr("b'cat'"));
  EXPECT_THAT(out.out, HasSubstr("b'caf\\xc3\\xa9\\x00'"));
  EXPECT_THAT(out.out, HasSubstr("lut_out: uint8[2, 3]"));
  // The written file feeds the blob of another run.
  CliResult fed =
      RunOpgraph({"run", Nets("strings_predict.pb"), "--init", Nets("strings_init.pb"), "--input",
                  "class_names=" + TestPath("names.pb"), "--output", "names_out=-"});
  ASSERT_EQ(fed.exit_code, 0) << fed.err;
  EXPECT_THAT(fed.out, HasSubstr("b'dog'"));
  args = run;
  args.insert(args.end(), {"--output", "names_out=" + TestPath("names.npy")});
  CliResult npy = RunOpgraph(args);
  EXPECT_EQ(npy.exit_code, 1) << npy.err;
  EXPECT_THAT(npy.err, HasSubstr("a string tensor cannot be written as .npy"));
}

TEST(Caffe2CliTest, ConvertKeepsOrRefusesUnknownFields) {
  // A NetDef with an undeclared field 99 on its first operator (tag 0x98 0x06,
  // varint 5) appended to a valid binary net.
  std::string bytes = ReadTestFile(Nets("mlp_predict.pb"));
  const std::string extra("\x12\x03\x98\x06\x05", 5);  // op { 99: 5 }
  const std::string path = WriteTestFile("unknown.pb", bytes + extra);
  CliResult same = RunOpgraph({"convert", path, TestPath("unknown_copy.pb")});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(ReadTestFile(TestPath("unknown_copy.pb")).size(), bytes.size() + extra.size());
  CliResult text = RunOpgraph({"convert", path, TestPath("unknown.pbtxt")});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_THAT(text.err, HasSubstr("OperatorDef field 99"));
  EXPECT_THAT(text.err, HasSubstr("Write binary (.pb)"));
  CliResult known = RunOpgraph({"convert", Nets("mlp_predict.pb"), TestPath("known.pbtxt")});
  EXPECT_EQ(known.exit_code, 0) << known.err;
  EXPECT_THAT(known.err, Not(HasSubstr("field")));
}

}  // namespace
}  // namespace opgraph
