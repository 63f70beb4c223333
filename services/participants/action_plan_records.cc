#include "services/participants/action_plan_records.h"
