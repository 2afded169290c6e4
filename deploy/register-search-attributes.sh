#!/bin/sh
# Registers the custom search attributes MaintenanceWindowWorkflow upserts. Safe to run again: an
# attribute that already exists is reported and skipped.
set -u
for attr in Phase:Keyword MaintenanceType:Keyword PlanId:Keyword AffectedSystems:KeywordList WindowStart:Datetime WindowEnd:Datetime; do
  name=${attr%%:*}; type=${attr#*:}
  temporal operator search-attribute create --namespace default --name "$name" --type "$type" \
    || echo "search attribute $name not created (it may exist already)"
done
