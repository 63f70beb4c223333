// Not built yet.
#include "services/participants/progression_records.h"
#include "gtest/gtest.h"
