// The certificate schedule record (0x19) round-trips and refuses another type, trailing bytes
// and unknown action bits; lifetime action trigger times follow the policy's two triggers.
#include "model/certificate_schedule.h"

#include <gtest/gtest.h>

namespace coffer::model {
namespace {

TEST(CertificateScheduleRecordTest, RoundTripsAndRefusesDamage) {
  CertificateSchedule s;
  s.version = "0123456789abcdef0123456789abcdef";
  s.due = 1'700'000'123;
  s.MarkDone(CertificateActionType::kEmailContacts);
  auto back = DecodeCertificateSchedule(EncodeCertificateSchedule(s).view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version, s.version);
  EXPECT_EQ(back->due, s.due);
  EXPECT_TRUE(back->Done(CertificateActionType::kEmailContacts));
  EXPECT_FALSE(back->Done(CertificateActionType::kAutoRenew));

  CertificateSchedule empty;
  auto none = DecodeCertificateSchedule(EncodeCertificateSchedule(empty).view());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->due.has_value());
  EXPECT_EQ(none->done, 0);

  std::string record(EncodeCertificateSchedule(s).view());
  EXPECT_EQ(DecodeCertificateSchedule(record + "x").status().code(), StatusCode::kDataLoss);
  std::string other = record;
  other[0] = 0x15;
  EXPECT_EQ(DecodeCertificateSchedule(other).status().code(), StatusCode::kDataLoss);
  std::string bits = record;
  bits.back() = static_cast<char>(0x80);
  EXPECT_EQ(DecodeCertificateSchedule(bits).status().code(), StatusCode::kDataLoss);
}

TEST(CertificateScheduleTest, TriggerTimesFollowPercentageAndDaysBeforeExpiry) {
  const UnixSeconds nbf = 1'000'000;
  const UnixSeconds exp = nbf + 100 * 86400;
  CertificateLifetimeAction percent;
  percent.lifetime_percentage = 80;
  EXPECT_EQ(LifetimeActionTime(percent, nbf, exp), nbf + 80 * 86400);
  percent.lifetime_percentage = 1;
  EXPECT_EQ(LifetimeActionTime(percent, nbf, exp), nbf + 86400);
  percent.lifetime_percentage = 33;  // 33 % of 8,640,000 s, rounded down
  EXPECT_EQ(LifetimeActionTime(percent, nbf, exp), nbf + 2'851'200);
  CertificateLifetimeAction days;
  days.days_before_expiry = 30;
  EXPECT_EQ(LifetimeActionTime(days, nbf, exp), exp - 30 * 86400);
}

}  // namespace
}  // namespace coffer::model
