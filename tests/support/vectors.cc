#include "tests/support/vectors.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/assert.h"
#include "base/hex.h"

namespace hito::testing {

std::string VectorPath(const std::string& file) {
  return std::string(HITO_VECTORS_DIR) + "/" + file;
}

nlohmann::json LoadVectors(const std::string& file) {
  std::ifstream f(VectorPath(file));
  EXPECT_TRUE(f.good()) << "missing " << VectorPath(file);
  if (!f.good()) return nlohmann::json();
  return nlohmann::json::parse(f);
}

Bytes Hex(const nlohmann::json& hex_string) {
  Result<Bytes> b = HexDecode(hex_string.get<std::string>());
  HITO_ASSERT(b.ok());
  return *b;
}

bool GoldenRewriteRequested() {
  const char* write = std::getenv("HITO_WRITE_VECTORS");
  return write != nullptr && std::string(write) == "1";
}

void WriteGolden(const nlohmann::ordered_json& doc, const std::string& path,
                 const std::vector<CorpusSeed>& seeds) {
  std::ofstream(path) << doc.dump(1) << "\n";
  const std::filesystem::path corpus =
      std::filesystem::path(HITO_VECTORS_DIR).parent_path() / "fuzz" / "corpus";
  for (const CorpusSeed& s : seeds) {
    const std::filesystem::path p = corpus / s.target / s.name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(s.bytes.data()),
            static_cast<std::streamsize>(s.bytes.size()));
  }
}

void ExpectMatchesGolden(const nlohmann::ordered_json& doc, const std::string& path) {
  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << "missing " << path;
  const nlohmann::ordered_json file = nlohmann::ordered_json::parse(f);
  ASSERT_EQ(file.size(), doc.size());
  for (const auto& [key, value] : doc.items()) {
    ASSERT_TRUE(file.contains(key)) << key;
    EXPECT_EQ(file.at(key), value) << "vector \"" << key << "\" changed";
  }
}

}  // namespace hito::testing
