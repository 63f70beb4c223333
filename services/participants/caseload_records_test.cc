// Not built yet.
#include "services/participants/caseload_records.h"
#include "gtest/gtest.h"
