"""boto3 sessions (embedded moto server or real AWS), deploy in three regions, live checks."""
