#include "meshproof/engine/quantity.h"

#include <gtest/gtest.h>

namespace meshproof {
namespace {

struct Case {
  const char* text;
  const char* num;
  const char* den;
};

class ParseQuantityTest : public ::testing::TestWithParam<Case> {};

TEST_P(ParseQuantityTest, Exact) {
  auto q = ParseQuantity(GetParam().text);
  ASSERT_TRUE(q.has_value()) << GetParam().text;
  EXPECT_EQ(q->numerator, GetParam().num) << GetParam().text;
  EXPECT_EQ(q->denominator, GetParam().den) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, ParseQuantityTest,
    ::testing::Values(Case{"1", "1", "1"}, Case{"500m", "1", "2"}, Case{"1500m", "3", "2"},
                      Case{"10m", "1", "100"}, Case{"1e3", "1000", "1"}, Case{"1E3", "1000", "1"},
                      Case{"1E", "1000000000000000000", "1"}, Case{"2k", "2000", "1"},
                      Case{"1Ki", "1024", "1"}, Case{"1.5Gi", "1610612736", "1"},
                      Case{"0.1", "1", "10"}, Case{".5", "1", "2"}, Case{"+3", "3", "1"},
                      Case{"-2", "-2", "1"}, Case{"100n", "1", "10000000"},
                      Case{"5u", "1", "200000"}, Case{"1e-2", "1", "100"}, Case{"0", "0", "1"}));

TEST(ParseQuantityTest, RejectsNonQuantities) {
  for (const char* bad :
       {"", "abc", "1x", "m", "1.2.3", "1mi", "1Ki2", "1e", "1e1000", "--1", "1 m"}) {
    EXPECT_FALSE(ParseQuantity(bad).has_value()) << bad;
  }
}

TEST(ExactSharesTest, SpecExample) {
  // docs/reference/smi-semantics.md 3.2: 10m/100m/1500m => 0.62% / 6.21% / 93.17%.
  std::vector<std::optional<QuantityValue>> v = {ParseQuantity("10m"), ParseQuantity("100m"),
                                                 ParseQuantity("1500m")};
  auto s = ExactShares(v);
  EXPECT_NEAR(s[0], 10.0 / 1610, 1e-15);
  EXPECT_NEAR(s[1], 100.0 / 1610, 1e-15);
  EXPECT_NEAR(s[2], 1500.0 / 1610, 1e-15);
}

TEST(ExactSharesTest, InvalidAndNegativeCountAsZero) {
  std::vector<std::optional<QuantityValue>> v = {std::nullopt, ParseQuantity("-5"),
                                                 ParseQuantity("2")};
  auto s = ExactShares(v);
  EXPECT_EQ(s, (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(ExactShares({ParseQuantity("0"), ParseQuantity("0")}), (std::vector<double>{0, 0}));
}

}  // namespace
}  // namespace meshproof
