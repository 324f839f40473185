// Fast bytewise order on 32-byte keys, and sorting by it, for the ledger's hot paths.
//
// Why: a block sorts and compares tens of thousands of 32-byte keys (tree keys, account
// ids, page prefixes). std::array's operators call memcmp for each comparison, and
// sorting indices into a table with a comparator that reads the table misses the cache
// at every comparison. Here a key compares as four big-endian words, and SortByWord
// sorts (word, index) pairs, touching each element once. The order is exactly bytewise
// (std::array's), so results do not change.
#ifndef HITO_CONSENSUS_LEDGER_KEY_ORDER_H_
#define HITO_CONSENSUS_LEDGER_KEY_ORDER_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "base/bytes.h"

namespace hito::consensus::ledger {

// The big-endian 64-bit word at p: its integer order is the bytes' order.
inline uint64_t LoadBE64(const uint8_t* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return __builtin_bswap64(x);
}

inline bool KeyLess(const Hash32& a, const Hash32& b) {
  for (size_t w = 0; w < 32; w += 8) {
    const uint64_t x = LoadBE64(a.data() + w);
    const uint64_t y = LoadBE64(b.data() + w);
    if (x != y) return x < y;
  }
  return false;
}

inline bool KeyEqual(const Hash32& a, const Hash32& b) {
  uint64_t diff = 0;
  for (size_t w = 0; w < 32; w += 8) {
    uint64_t x;
    uint64_t y;
    std::memcpy(&x, a.data() + w, 8);
    std::memcpy(&y, b.data() + w, 8);
    diff |= x ^ y;
  }
  return diff == 0;
}

inline bool KeyIsZero(const Hash32& a) { return KeyEqual(a, Hash32{}); }

// Sorts `items` by `less`. `word(item)` must be a 64-bit summary consistent with it
// (word(a) < word(b) implies less(a, b)); `less` only breaks ties between equal words.
template <typename T, typename Word, typename Less>
void SortByWord(std::vector<T>* items, const Word& word, const Less& less) {
  std::vector<std::pair<uint64_t, uint32_t>> keys(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    keys[i] = {word((*items)[i]), static_cast<uint32_t>(i)};
  }
  std::sort(keys.begin(), keys.end(), [items, &less](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return less((*items)[a.second], (*items)[b.second]);
  });
  std::vector<T> sorted;
  sorted.reserve(items->size());
  for (const auto& k : keys) sorted.push_back(std::move((*items)[k.second]));
  *items = std::move(sorted);
}

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_KEY_ORDER_H_
