// BodyBudget: reservations within the capacity, clamping to it, the headroom kept for small
// requests, waiters granted in order on release, small requests let past larger waiters,
// cancellation racing a grant.
#include "http/impl/body_budget.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coffer::http::impl {
namespace {

// Capacity 6400 throughout: small requests are those of at most 100 bytes in all, and larger
// ones together hold at most 6000 (6400 less 1/16 of headroom).
constexpr uint64_t kCapacity = 6400;

TEST(BodyBudgetTest, ReservesWithinTheCapacityAndReleases) {
  BodyBudget budget(kCapacity);
  EXPECT_TRUE(budget.TryReserve(3600));
  EXPECT_TRUE(budget.TryReserve(2400));
  EXPECT_FALSE(budget.TryReserve(101));  // large: only the headroom is left
  EXPECT_EQ(budget.stats().reserved, 6000u);
  budget.Release(2400);
  EXPECT_TRUE(budget.TryReserve(2000));
  EXPECT_EQ(budget.stats().reserved, 5600u);
  EXPECT_EQ(budget.stats().waiters, 0u);
}

TEST(BodyBudgetTest, TheLastSixteenthIsKeptForSmallRequests) {
  BodyBudget budget(kCapacity);
  ASSERT_TRUE(budget.TryReserve(6000));
  EXPECT_FALSE(budget.TryReserve(200));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(budget.TryReserve(100)) << i;
  EXPECT_EQ(budget.stats().reserved, 6400u);
  EXPECT_FALSE(budget.TryReserve(1));  // now the budget is full for everyone
  // A growing body is judged by what it holds in all: 60 more for one holding 60 is not small.
  budget.Release(400);
  EXPECT_TRUE(budget.TryReserve(60));
  EXPECT_FALSE(budget.TryReserve(60, 60));
  EXPECT_TRUE(budget.TryReserve(40, 60));
}

TEST(BodyBudgetTest, ABodyLargerThanTheBudgetTakesAllItMayWhenAlone) {
  BodyBudget budget(kCapacity);
  EXPECT_EQ(budget.Clamp(50000), 6000u);
  EXPECT_EQ(budget.Clamp(10), 10u);
  EXPECT_TRUE(budget.TryReserve(50000));
  EXPECT_EQ(budget.stats().reserved, 6000u);
  EXPECT_FALSE(budget.TryReserve(1000));
  budget.Release(budget.Clamp(50000));
  EXPECT_EQ(budget.stats().reserved, 0u);
  ASSERT_TRUE(budget.TryReserve(1000));
  EXPECT_FALSE(budget.TryReserve(50000));  // not alone any more
  // A growing body that already holds all it may asks for nothing more.
  budget.Release(1000);
  ASSERT_TRUE(budget.TryReserve(6000));
  EXPECT_TRUE(budget.TryReserve(3000, 6000));
  EXPECT_EQ(budget.stats().reserved, 6000u);
}

TEST(BodyBudgetTest, WaitersAreGrantedInArrivalOrderOnRelease) {
  BodyBudget budget(kCapacity);
  ASSERT_TRUE(budget.TryReserve(6000));
  std::vector<std::string> granted;
  uint64_t a = budget.Reserve(3000, [&] { granted.push_back("a"); });
  uint64_t b = budget.Reserve(2000, [&] { granted.push_back("b"); });
  uint64_t c = budget.Reserve(1500, [&] { granted.push_back("c"); });
  EXPECT_GT(a, 0u);
  EXPECT_GT(b, 0u);
  EXPECT_GT(c, 0u);
  EXPECT_EQ(budget.stats().waiters, 3u);
  budget.Release(6000);
  EXPECT_EQ(granted, (std::vector<std::string>{"a", "b"}));  // c does not fit after a and b
  EXPECT_EQ(budget.stats().reserved, 5000u);
  EXPECT_EQ(budget.stats().waiters, 1u);
  budget.Release(3000);
  EXPECT_EQ(granted, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(budget.stats().reserved, 3500u);
}

TEST(BodyBudgetTest, ALargeRequestIsNotOvertakenByMediumOnes) {
  BodyBudget budget(kCapacity);
  ASSERT_TRUE(budget.TryReserve(3000));
  bool large = false;
  ASSERT_GT(budget.Reserve(6000, [&] { large = true; }), 0u);
  // 1000 would fit, but a larger request was here first.
  EXPECT_FALSE(budget.TryReserve(1000));
  bool medium = false;
  ASSERT_GT(budget.Reserve(1000, [&] { medium = true; }), 0u);
  budget.Release(3000);
  EXPECT_TRUE(large);
  EXPECT_FALSE(medium);
  budget.Release(6000);
  EXPECT_TRUE(medium);
}

TEST(BodyBudgetTest, SmallRequestsPassWaitersWhenTheyFit) {
  BodyBudget budget(kCapacity);
  ASSERT_TRUE(budget.TryReserve(6000));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(budget.TryReserve(100));
  bool large = false;
  ASSERT_GT(budget.Reserve(6000, [&] { large = true; }), 0u);
  EXPECT_TRUE(budget.TryReserve(100));  // fits, and is small: passes the large waiter
  EXPECT_FALSE(budget.TryReserve(1));   // full
  // A small waiter behind a large one is granted as soon as it fits.
  bool small_waiter = false;
  ASSERT_GT(budget.Reserve(100, [&] { small_waiter = true; }), 0u);
  budget.Release(100);
  EXPECT_TRUE(small_waiter);
  EXPECT_FALSE(large);
  EXPECT_EQ(budget.stats().reserved, 6400u);
  // Reserve takes a small request's bytes at once when they fit, without calling back.
  budget.Release(100);
  bool called = false;
  EXPECT_EQ(budget.Reserve(100, [&] { called = true; }), 0u);
  EXPECT_FALSE(called);
  EXPECT_EQ(budget.stats().reserved, 6400u);
}

TEST(BodyBudgetTest, CancelWithdrawsAWaiterAndLetsTheNextIn) {
  BodyBudget budget(kCapacity);
  ASSERT_TRUE(budget.TryReserve(3000));
  bool big = false;
  bool next = false;
  uint64_t big_ticket = budget.Reserve(6000, [&] { big = true; });
  ASSERT_GT(budget.Reserve(2500, [&] { next = true; }), 0u);  // behind the big one
  EXPECT_FALSE(next);
  EXPECT_TRUE(budget.Cancel(big_ticket));
  EXPECT_TRUE(next);  // fits beside the 3000 once the big one has gone
  EXPECT_FALSE(big);
  EXPECT_EQ(budget.stats().reserved, 5500u);
  EXPECT_FALSE(budget.Cancel(big_ticket));  // already gone
}

TEST(BodyBudgetTest, CancelAfterTheGrantFailsAndTheBytesStayTaken) {
  BodyBudget budget(kCapacity);
  ASSERT_TRUE(budget.TryReserve(6000));
  bool granted = false;
  uint64_t ticket = budget.Reserve(800, [&] { granted = true; });
  budget.Release(6000);
  ASSERT_TRUE(granted);
  EXPECT_FALSE(budget.Cancel(ticket));  // the caller owns the 800 and must release them
  EXPECT_EQ(budget.stats().reserved, 800u);
}

TEST(BodyBudgetTest, DropWaitersForgetsThemWithoutCallingThem) {
  BodyBudget budget(kCapacity);
  ASSERT_TRUE(budget.TryReserve(6000));
  bool called = false;
  ASSERT_GT(budget.Reserve(500, [&] { called = true; }), 0u);
  budget.DropWaiters();
  budget.Release(6000);
  EXPECT_FALSE(called);
  EXPECT_EQ(budget.stats().reserved, 0u);
  EXPECT_EQ(budget.stats().waiters, 0u);
}

TEST(BodyBudgetTest, AReservationGivesItsBytesBackOnceWhateverItsOwner) {
  BodyBudget budget(1000);
  {
    BodyReservation first(&budget);
    ASSERT_TRUE(budget.TryReserve(300));
    first.Adopt(300);
    BodyReservation moved = std::move(first);
    EXPECT_EQ(first.bytes(), 0u);  // NOLINT(bugprone-use-after-move): the contract under test
    EXPECT_EQ(moved.bytes(), 300u);
    EXPECT_EQ(budget.stats().reserved, 300u);
    first.Reset();  // nothing left to give back
    EXPECT_EQ(budget.stats().reserved, 300u);
  }
  EXPECT_EQ(budget.stats().reserved, 0u);
}

}  // namespace
}  // namespace coffer::http::impl
