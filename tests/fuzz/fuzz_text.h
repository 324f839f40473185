// Text helpers the fuzz targets share when they check a round trip of a format that is
// canonical only up to ASCII case (hex, bech32m).
#ifndef HITO_TESTS_FUZZ_FUZZ_TEXT_H_
#define HITO_TESTS_FUZZ_FUZZ_TEXT_H_

#include <string>
#include <string_view>

namespace hito::fuzz {

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace hito::fuzz

#endif  // HITO_TESTS_FUZZ_FUZZ_TEXT_H_
