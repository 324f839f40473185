// The consensus codec rules (consensus/types/codec.h): chain ids. The primitives are
// tested with base/codec.h (tests/unit/base/codec_test.cc).
#include "consensus/types/codec.h"

#include <gtest/gtest.h>

#include "tests/unit/types/test_util.h"

namespace hito::consensus::types {
namespace {

using testing::HasMessage;

TEST(CodecTest, ChainIdRules) {
  EXPECT_TRUE(ValidateChainId("c", "hito-1").ok());
  EXPECT_TRUE(ValidateChainId("c", "0").ok());
  EXPECT_TRUE(ValidateChainId("c", std::string(64, 'a')).ok());
  EXPECT_EQ(ValidateChainId("c", "").message(), "c: chain id is empty");
  EXPECT_TRUE(HasMessage(ValidateChainId("c", std::string(65, 'a')), "65 bytes exceeds"));
  EXPECT_EQ(ValidateChainId("c", "Hito").message(),
            "c: chain id byte 72 at offset 0 is not in [a-z0-9-]");
  EXPECT_FALSE(ValidateChainId("c", "hito_1").ok());
  EXPECT_FALSE(ValidateChainId("c", "hito 1").ok());
}

}  // namespace
}  // namespace hito::consensus::types
