// Not built yet.
#include "services/participants/group_session_records.h"
#include "gtest/gtest.h"
