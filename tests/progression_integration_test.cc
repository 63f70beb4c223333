// Not written yet.
#include "gtest/gtest.h"
