#include "services/participants/group_session_records.h"
