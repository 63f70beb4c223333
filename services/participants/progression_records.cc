#include "services/participants/progression_records.h"
