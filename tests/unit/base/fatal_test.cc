// FatalStop: logs one line through the installed hook (or stderr) and aborts.
#include "base/fatal.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace hito {
namespace {

void PrintMarkedLine(std::string_view line) {
  std::fprintf(stderr, "hooked<%.*s>\n", static_cast<int>(line.size()), line.data());
}

TEST(FatalStopDeathTest, WritesTheLineToStderrAndAborts) {
  EXPECT_DEATH(FatalStop("commit block 7", InternalError("disk full")),
               "commit block 7: .*disk full; stopping the node");
}

TEST(FatalStopDeathTest, RoutesTheLineThroughTheHook) {
  EXPECT_DEATH(
      {
        SetFatalLogHook(&PrintMarkedLine);
        FatalStop("apply", DataLossError("bad state"));
      },
      "hooked<apply: .*bad state; stopping the node>");
}

TEST(FatalStopDeathTest, IfErrorStopsOnlyOnError) {
  FatalStopIfError(Status::Ok(), "never");
  EXPECT_DEATH(FatalStopIfError(InternalError("x"), "write wal"), "write wal: .*x; stopping");
}

}  // namespace
}  // namespace hito
