"""SLA: policies and business-hours calendars, due times, the SLA state of tickets, warnings and breaches."""
