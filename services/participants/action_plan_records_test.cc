// Not built yet.
#include "services/participants/action_plan_records.h"
#include "gtest/gtest.h"
