#include "meshproof/engine/yaml_tree.h"

#include <gtest/gtest.h>

namespace meshproof::yaml {
namespace {

struct Parsed {
  ParsedFile file;
  Diagnostics diags;
};

std::unique_ptr<Parsed> Parse(std::string_view text, std::size_t max_alias = 1'000'000) {
  auto p = std::make_unique<Parsed>();
  ParseLimits limits;
  limits.max_alias_expansion = max_alias;
  ParseFile(text, 0, limits, &p->file, &p->diags);
  return p;
}

TEST(YamlTreeTest, EveryNodeHasLineAndColumn) {
  auto p = Parse("a: 1\nb:\n  - x\n  - {c: d}\n");
  ASSERT_EQ(p->file.documents.size(), 1u);
  const Node* root = p->file.documents[0].root;
  ASSERT_TRUE(root->IsMap());
  const Node* b = root->Get("b");
  ASSERT_TRUE(b && b->IsSeq());
  EXPECT_EQ(b->children[0]->line, 3u);
  EXPECT_EQ(b->children[0]->column, 5u);
  const Node* c = b->children[1]->Get("c");
  EXPECT_EQ(c->line, 4u);
  EXPECT_EQ(c->column, 9u);
}

TEST(YamlTreeTest, LinesCountFromFileStartAcrossDocuments) {
  auto p = Parse("a: 1\n---\n# comment\nb: 2\n---\nc: 3\n");
  ASSERT_EQ(p->file.documents.size(), 3u);
  EXPECT_EQ(p->file.documents[1].root->Get("b")->line, 4u);
  EXPECT_EQ(p->file.documents[2].root->Get("c")->line, 6u);
}

TEST(YamlTreeTest, SyntaxErrorDropsOnlyItsDocument) {
  auto p = Parse("a: 1\n---\nb: [unclosed\n---\nc: 3\n");
  ASSERT_EQ(p->file.documents.size(), 2u);
  ASSERT_EQ(p->diags.size(), 1u);
  EXPECT_EQ(p->diags.items()[0].code, DiagCode::MP0001);
  EXPECT_GE(p->diags.items()[0].location.line, 3u);
  EXPECT_EQ(p->file.documents[1].root->Get("c")->value, "3");
}

TEST(YamlTreeTest, DocumentEndMarkerAndDirectives) {
  auto p = Parse("%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n");
  EXPECT_TRUE(p->diags.empty()) << p->diags.items()[0].message;
  ASSERT_EQ(p->file.documents.size(), 2u);
}

TEST(YamlTreeTest, DuplicateKeyReportedLaterWins) {
  auto p = Parse("a: 1\nb: 2\na: 3\n");
  ASSERT_EQ(p->diags.size(), 1u);
  EXPECT_EQ(p->diags.items()[0].location.line, 3u);
  EXPECT_NE(p->diags.items()[0].message.find("first at line 1"), std::string::npos);
  const Node* root = p->file.documents[0].root;
  EXPECT_EQ(root->MapSize(), 2u);
  EXPECT_EQ(root->Get("a")->value, "3");
}

TEST(YamlTreeTest, AliasesShareNodes) {
  auto p = Parse("base: &b {x: 1}\nuse: *b\n");
  const Node* root = p->file.documents[0].root;
  EXPECT_EQ(root->Get("base"), root->Get("use"));
}

TEST(YamlTreeTest, AliasBombRejected) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  auto p = Parse(bomb);
  ASSERT_EQ(p->diags.size(), 1u);
  EXPECT_NE(p->diags.items()[0].message.find("alias bomb"), std::string::npos);
  EXPECT_TRUE(p->file.documents.empty());
}

TEST(YamlTreeTest, ModestAliasUseIsFine) {
  auto p = Parse("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n", 100);
  EXPECT_TRUE(p->diags.empty());
}

TEST(YamlTreeTest, DeepNestingIsADiagnosticNotACrash) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto p = Parse(deep);
  ASSERT_EQ(p->diags.size(), 1u);
  EXPECT_NE(p->diags.items()[0].message.find("nesting"), std::string::npos);
}

TEST(YamlTreeTest, InvalidUtf8Located) {
  auto p = Parse("a: 1\nb: \xC3\x28\n---\nc: ok\n");
  ASSERT_EQ(p->diags.size(), 1u);
  EXPECT_EQ(p->diags.items()[0].location.line, 2u);
  EXPECT_EQ(p->diags.items()[0].location.column, 4u);
  ASSERT_EQ(p->file.documents.size(), 1u);  // the valid document survives
}

struct TypeCase {
  const char* text;
  ScalarType type;
};

class ScalarTypeTest : public ::testing::TestWithParam<TypeCase> {};

TEST_P(ScalarTypeTest, ResolvesLikeKubectl) {
  auto p = Parse(std::string("v: ") + GetParam().text + "\n");
  ASSERT_EQ(p->file.documents.size(), 1u);
  EXPECT_EQ(p->file.documents[0].root->Get("v")->Type(), GetParam().type) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Yaml11, ScalarTypeTest,
    ::testing::Values(TypeCase{"hello", ScalarType::kString},
                      TypeCase{"\"42\"", ScalarType::kString},
                      TypeCase{"'true'", ScalarType::kString}, TypeCase{"42", ScalarType::kInt},
                      TypeCase{"-7", ScalarType::kInt}, TypeCase{"0x1F", ScalarType::kInt},
                      TypeCase{"1_000", ScalarType::kInt}, TypeCase{"0.5", ScalarType::kFloat},
                      TypeCase{"1e3", ScalarType::kFloat}, TypeCase{".inf", ScalarType::kFloat},
                      TypeCase{"yes", ScalarType::kBool}, TypeCase{"on", ScalarType::kBool},
                      TypeCase{"False", ScalarType::kBool}, TypeCase{"~", ScalarType::kNull},
                      TypeCase{"null", ScalarType::kNull}, TypeCase{"500m", ScalarType::kString},
                      TypeCase{"!!str 12", ScalarType::kString},
                      TypeCase{"|\n  block", ScalarType::kString},
                      TypeCase{"1.2.3", ScalarType::kString}));

TEST(YamlTreeTest, BooleansReadAsGoYamlReadsThem) {
  for (const char* yes : {"true", "True", "yes", "Yes", "YES", "on", "ON", "y"}) {
    EXPECT_TRUE(
        Parse(std::string("v: ") + yes + "\n")->file.documents[0].root->Get("v")->BoolValue())
        << yes;
  }
  for (const char* no : {"false", "No", "off", "OFF", "n", "'true'", "1"}) {
    EXPECT_FALSE(
        Parse(std::string("v: ") + no + "\n")->file.documents[0].root->Get("v")->BoolValue())
        << no;
  }
}

}  // namespace
}  // namespace meshproof::yaml
