// Random identifiers. Thread-safe (one generator per thread, seeded from the OS).
#pragma once

#include <string>

namespace bourse {

// A random (version 4, RFC 4122 variant) UUID in canonical lower-case text form.
std::string random_uuid_v4();

}  // namespace bourse
