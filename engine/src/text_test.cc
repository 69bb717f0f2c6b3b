#include "meshproof/engine/text.h"

#include <gtest/gtest.h>

#include "meshproof/engine/numeric.h"

namespace meshproof {
namespace {

TEST(TextTest, ValidUtf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

TEST(TextTest, InvalidBytesBecomeHexEscapes) {
  EXPECT_EQ(EscapeInvalidUtf8("sp\xff\x01lit.yaml"), "sp\\xff\x01lit.yaml");
  EXPECT_EQ(EscapeInvalidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(EscapeInvalidUtf8("\xe2\x82x"), "\\xe2\\x82x");
}

TEST(TextTest, TerminalSeesNoControlCharacters) {
  EXPECT_EQ(EscapeForTerminal("a\x1b]0;pwned\x07z\n\tb"), "a\\x1b]0;pwned\\x07z\n\tb");
  EXPECT_EQ(EscapeForTerminal("\xc2\x9b"
                              "31m"),
            "\\u009b31m");  // C1 CSI
  EXPECT_EQ(EscapeForTerminal("\x7f\xff"), "\\x7f\\xff");
  // Our own colours pass only when asked for, and only as SGR.
  EXPECT_EQ(EscapeForTerminal("\x1b[1;31merror\x1b[0m", true), "\x1b[1;31merror\x1b[0m");
  EXPECT_EQ(EscapeForTerminal("\x1b[1;31merror", false), "\\x1b[1;31merror");
  EXPECT_EQ(EscapeForTerminal("\x1b[2J", true), "\\x1b[2J");
}

TEST(TextTest, JsonStringsAndKeysEscapedAtAnyDepth) {
  nlohmann::json doc = nlohmann::json::array();
  nlohmann::json* at = &doc;
  for (int i = 0; i < 500; ++i) {  // nlohmann recurses; deep enough for ours
    at->push_back(nlohmann::json::array());
    at = &(*at)[0];
  }
  at->push_back({{"k\xfe", "v\xff"}});
  EscapeInvalidUtf8(&doc);
  const std::string text = doc.dump();  // would throw type_error.316 before
  EXPECT_NE(text.find("\"k\\\\xfe\":\"v\\\\xff\""), std::string::npos);
}

TEST(TextTest, AbbreviateAtCharacterBoundary) {
  EXPECT_EQ(Abbreviate("short", 10), "short");
  EXPECT_EQ(Abbreviate(std::string(300, 'a'), 4), "aaaa... (300 bytes)");
  EXPECT_EQ(Abbreviate("\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9... (6 bytes)");
}

}  // namespace
}  // namespace meshproof

namespace meshproof {
namespace {

TEST(RoundShare, SharesPrintAsTheirShortDecimal) {
  const double fifth = 1.0 - 0.8;  // 0.19999999999999996 in binary
  EXPECT_NE(fifth, 0.2);
  EXPECT_EQ(RoundShare(fifth), 0.2);
  EXPECT_EQ(RoundShare(1.0 / 3.0), 0.333333333333);
  EXPECT_EQ(RoundShare(0), 0);
  EXPECT_EQ(RoundShare(1), 1);
}

}  // namespace
}  // namespace meshproof
