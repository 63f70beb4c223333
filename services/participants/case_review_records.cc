#include "services/participants/case_review_records.h"
