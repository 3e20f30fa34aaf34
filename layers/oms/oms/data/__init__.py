"""DynamoDB access. Only this package (and oms.adapters) imports boto3 or pynamodb."""
