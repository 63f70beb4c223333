// Not built yet.
#include "services/participants/contact_records.h"
#include "gtest/gtest.h"
