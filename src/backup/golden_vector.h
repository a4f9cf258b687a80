// Test-only: the fixed inputs of the committed golden vector testdata/secret_blob_v1.hex, shared
// by the test that decodes it and the disabled test that generated it once.
// Thread-safety: plain functions.
#pragma once

#include <string>

#include "backup/blob_codec.h"
#include "core/secret_bytes.h"
#include "vault/secret_service.h"

namespace coffer::backup::golden {

// `count` bytes counting up from `first` (the fixed inputs: 0x00..0x1f, 0xa0..0xaf, …).
std::string Sequence(int first, int count);
SecretBytes BackupRoot();            // 0x00..0x1f
BlobHeader Header();                 // root id 0xa0..0xaf, salt 0x40..0x5f, nonce 0x60..0x6b
vault::SecretObject Object();        // "Golden-Secret", two versions
// HKDF-SHA256(BackupRoot(), header.salt, BackupKeyInfo(header)).
SecretBytes DeriveKey(const BlobHeader& header);
// A human-readable listing of every input, written beside the vector.
std::string DescribeInputs();

std::string TestdataPath(const std::string& file);

}  // namespace coffer::backup::golden
