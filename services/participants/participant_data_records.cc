#include "services/participants/participant_data_records.h"
