// gMock matchers for absl::Status and absl::StatusOr<T>:
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("'X'")));
//   EXPECT_THAT(s, IsOk());
#ifndef OPGRAPH_TESTS_STATUS_MATCHERS_H_
#define OPGRAPH_TESTS_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace opgraph {
namespace testing {
namespace status_internal {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace status_internal

// Matches a Status (or StatusOr) with `code` whose message matches
// `message_matcher`.
MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher, negation)) {
  const absl::Status& s = status_internal::GetStatus(arg);
  *result_listener << "whose status is " << s;
  return s.code() == code && ::testing::Matches(message_matcher)(std::string(s.message()));
}

MATCHER(IsOk, negation ? "is an error" : "is OK") {
  const absl::Status& s = status_internal::GetStatus(arg);
  *result_listener << "whose status is " << s;
  return s.ok();
}

}  // namespace testing
}  // namespace opgraph

#endif  // OPGRAPH_TESTS_STATUS_MATCHERS_H_
