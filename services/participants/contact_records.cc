#include "services/participants/contact_records.h"
