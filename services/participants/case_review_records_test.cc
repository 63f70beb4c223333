// Not built yet.
#include "services/participants/case_review_records.h"
#include "gtest/gtest.h"
