// Constant-time check of zk/ec.h's secret-handling paths, run under valgrind memcheck:
// MsmConstTime, MsmConstTimeMany and EdPoint::Encode with every scalar marked undefined
// (VALGRIND_MAKE_MEM_UNDEFINED), so memcheck reports any branch or memory index that
// depends on a scalar or on a point computed from one. Results are declassified only
// after the computation, then checked against MsmVartime on clean copies. Exit status 1
// on a valgrind error (--error-exitcode=1) or a wrong result. Not a GoogleTest binary, to
// keep valgrind's view free of framework noise. Sizes are small but cover several table
// chunks and every digit position.
#include <cstdio>
#include <vector>

#include "tests/unit/zk/ct_valgrind.h"
#include "zk/ec.h"

namespace hito::zk {
namespace {

using ct_test::Declassify;
using ct_test::Poison;

bool Run(size_t n, size_t rows) {
  std::vector<EdPoint> points;
  EdPoint cur = EdPoint::Base();
  for (size_t i = 0; i < n; ++i) {
    cur = cur.Double() + EdPoint::Base();
    points.push_back(cur);
  }
  std::vector<std::vector<Scalar>> clean(rows), secret(rows);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t i = 0; i < n; ++i) {
      // Include zero and -1 scalars: digit 0 and the largest digits must not branch.
      Scalar s = (i % 5 == 1) ? Scalar::Zero() : (i % 5 == 2) ? -Scalar::One() : Scalar::Random();
      clean[r].push_back(s);
      Poison(&s);
      secret[r].push_back(s);
    }
  }
  std::vector<EdPoint> many = MsmConstTimeMany(secret, points);
  EdPoint single = MsmConstTime(secret[0], points);
  // Encoding a secret point is constant time too.
  std::array<uint8_t, 32> enc = single.Encode();
  Declassify(&many[0]);
  for (auto& p : many) Declassify(&p);
  Declassify(&single);
  Declassify(&enc);
  bool ok = enc == MsmVartime(clean[0], points).Encode();
  for (size_t r = 0; r < rows; ++r) ok = ok && many[r] == MsmVartime(clean[r], points);
  ok = ok && single == many[0];
  return ok;
}

}  // namespace
}  // namespace hito::zk

int main() {
  // 300 points: three 128-point table chunks, the last one partial. Three rows use the
  // affine tables, one or two rows the projective ones.
  if (!hito::zk::Run(300, 3) || !hito::zk::Run(300, 1) || !hito::zk::Run(3, 2) ||
      !hito::zk::Run(1, 1)) {
    std::fprintf(stderr, "msm_ct_valgrind: wrong result\n");
    return 1;
  }
  std::printf("msm_ct_valgrind: ok\n");
  return 0;
}
