// Checked integer arithmetic. Consensus code computes every amount through these, so an
// overflow is a rejected transaction, never a wrapped balance.
#ifndef HITO_BASE_CHECKED_H_
#define HITO_BASE_CHECKED_H_

#include <concepts>
#include <optional>

namespace hito {

template <std::integral T>
[[nodiscard]] constexpr std::optional<T> CheckedAdd(T a, T b) {
  T r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

template <std::integral T>
[[nodiscard]] constexpr std::optional<T> CheckedSub(T a, T b) {
  T r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}

template <std::integral T>
[[nodiscard]] constexpr std::optional<T> CheckedMul(T a, T b) {
  T r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// Converts between integer types, failing when the value does not fit.
template <std::integral To, std::integral From>
[[nodiscard]] constexpr std::optional<To> CheckedCast(From v) {
  To r;
  if (__builtin_add_overflow(v, From{0}, &r)) return std::nullopt;
  return r;
}

}  // namespace hito

#endif  // HITO_BASE_CHECKED_H_
