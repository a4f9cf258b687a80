#include "cli/progress.h"

#include <gtest/gtest.h>

namespace coffer::cli {
namespace {

using std::chrono::milliseconds;

TEST(ProgressTest, LineRedrawsInPlaceWithElapsedSecondsAndStatus) {
  std::string line = Progress::Line("backing up dev", milliseconds(0), "InProgress");
  EXPECT_EQ(line, "\rbacking up dev [=====               ] 0s InProgress\x1b[K");
  EXPECT_NE(Progress::Line("x", milliseconds(12'400), "downloading").find("] 12s downloading"),
            std::string::npos);
}

TEST(ProgressTest, BlockBouncesBetweenTheEnds) {
  // 15 steps to the right end, then back.
  EXPECT_NE(Progress::Line("x", milliseconds(15 * 200), "").find("[               =====]"),
            std::string::npos);
  EXPECT_NE(Progress::Line("x", milliseconds(16 * 200), "").find("[              ===== ]"),
            std::string::npos);
  EXPECT_NE(Progress::Line("x", milliseconds(30 * 200), "").find("[=====               ]"),
            std::string::npos);
}

TEST(ProgressTest, DisabledProgressWritesNothing) {
  testing::internal::CaptureStderr();
  {
    Progress progress("x", false);
    progress.Update("InProgress");
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace coffer::cli
