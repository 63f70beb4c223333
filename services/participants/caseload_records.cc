#include "services/participants/caseload_records.h"
