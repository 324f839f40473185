// The published and golden test vectors under tests/vectors/: where a file lives, how a
// test loads it, and the golden-file protocol of the consensus encodings (compare what a
// test builds with the file; HITO_WRITE_VECTORS=1 rewrites the file and the fuzz corpus
// seeds beside it, a rewrite being a protocol change that is reviewed as one).
#ifndef HITO_TESTS_SUPPORT_VECTORS_H_
#define HITO_TESTS_SUPPORT_VECTORS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace hito::testing {

// tests/vectors/<file>.
std::string VectorPath(const std::string& file);

// The JSON of tests/vectors/<file>. A missing file is a test failure (reported here) and
// gives a null document.
nlohmann::json LoadVectors(const std::string& file);

// A hex string of a vector file, decoded (a vector file with bad hex is broken: asserts).
Bytes Hex(const nlohmann::json& hex_string);

// A fuzz corpus seed: tests/fuzz/corpus/<target>/<name>.
struct CorpusSeed {
  std::string target;
  std::string name;
  Bytes bytes;
};

// HITO_WRITE_VECTORS=1 is set.
bool GoldenRewriteRequested();

// Writes `doc` to `path` and each seed to the fuzz corpus.
void WriteGolden(const nlohmann::ordered_json& doc, const std::string& path,
                 const std::vector<CorpusSeed>& seeds);

// Every top-level entry of `doc` equals the file's, and the file has no other entry.
void ExpectMatchesGolden(const nlohmann::ordered_json& doc, const std::string& path);

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_VECTORS_H_
