// Random identifiers: event ids, automatic deposit references.
#pragma once

#include <string>

namespace bourse {

// A random (version 4, RFC 4122 variant) UUID in canonical lower-case text form, e.g.
// "3f2b8c1e-7a4d-4e0b-9c6f-2d1e5a7b8c9d". 122 random bits from a per-thread generator
// seeded by the OS: unique in practice, not for secrets. Thread-safe, lock-free.
std::string random_uuid_v4();

}  // namespace bourse
