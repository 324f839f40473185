// Fuzzes ParseWal on arbitrary log images. Its contract (node/io/wal.h): the valid prefix
// is exactly the framing of the records it returns, the rest is reported as dropped, and
// the tail is kClean iff nothing was dropped.
#include <cstdio>
#include <cstdlib>

#include "node/io/wal.h"

namespace io = hito::node::io;

namespace {

void Fail(const char* why) {
  std::fprintf(stderr, "fuzz_wal_parse: %s\n", why);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const io::WalRecovery r = io::ParseWal(hito::ByteView(data, size));
  if (r.valid_bytes + r.dropped_bytes != size) Fail("valid + dropped != image size");
  if ((r.tail == io::WalTail::kClean) != (r.dropped_bytes == 0)) {
    Fail("tail is clean but bytes were dropped, or the reverse");
  }
  hito::Bytes framed;
  for (const hito::Bytes& rec : r.records) {
    if (rec.size() > io::kWalRecordMaxBytes) Fail("record over kWalRecordMaxBytes");
    const hito::Bytes f = io::FrameWalRecord(rec);
    framed.insert(framed.end(), f.begin(), f.end());
  }
  if (framed.size() != r.valid_bytes || !std::equal(framed.begin(), framed.end(), data)) {
    Fail("the valid prefix is not the framing of the records returned");
  }
  return 0;
}
