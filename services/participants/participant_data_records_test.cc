// Not built yet.
#include "services/participants/participant_data_records.h"
#include "gtest/gtest.h"
