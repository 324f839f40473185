// Golden-vector files of consensus/types: where they live, how a test compares what it
// builds with the file, and how HITO_WRITE_VECTORS=1 rewrites the file and the fuzz
// corpus seeds beside it (a rewrite is a protocol change and is reviewed as one).
#ifndef HITO_TESTS_UNIT_TYPES_GOLDEN_H_
#define HITO_TESTS_UNIT_TYPES_GOLDEN_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"

namespace hito::consensus::types::testing {

// tests/vectors/<file>.
inline std::string GoldenPath(const std::string& file) {
  return std::string(HITO_VECTORS_DIR) + "/" + file;
}

// A fuzz corpus seed: tests/fuzz/corpus/<target>/<name>.
struct CorpusSeed {
  std::string target;
  std::string name;
  Bytes bytes;
};

inline bool GoldenRewriteRequested() {
  const char* write = std::getenv("HITO_WRITE_VECTORS");
  return write != nullptr && std::string(write) == "1";
}

// Writes `doc` to `path` and each seed to the fuzz corpus.
inline void WriteGolden(const nlohmann::ordered_json& doc, const std::string& path,
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

// Every top-level entry of `doc` equals the file's, and the file has no other entry.
inline void ExpectMatchesGolden(const nlohmann::ordered_json& doc, const std::string& path) {
  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << "missing " << path;
  const nlohmann::ordered_json file = nlohmann::ordered_json::parse(f);
  ASSERT_EQ(file.size(), doc.size());
  for (const auto& [key, value] : doc.items()) {
    ASSERT_TRUE(file.contains(key)) << key;
    EXPECT_EQ(file.at(key), value) << "vector \"" << key << "\" changed";
  }
}

}  // namespace hito::consensus::types::testing

#endif  // HITO_TESTS_UNIT_TYPES_GOLDEN_H_
