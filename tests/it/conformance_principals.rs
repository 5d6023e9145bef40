//! The principal registry against every storage adapter: registration is create-once, and an
//! owner's principals are listed from the registry itself (an index on DynamoDB).

use chrono::{TimeZone, Utc};
use common::store::{Owner, Principal, PrincipalArn, StoreError};
use seikyu_tests::fixtures::{StoreFixture, tenant_id};

fn principal(arn: &str, owner: Owner) -> Principal {
    Principal { arn: PrincipalArn::parse(arn).unwrap(), owner, registered_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()) }
}

fn arns(list: &[Principal]) -> Vec<&str> {
    list.iter().map(|p| p.arn.as_str()).collect()
}

pub async fn registering_is_create_once_and_listed_by_owner(f: StoreFixture) {
    let s = &f.stores;
    let (one, two) = (Owner::Tenant { tenant_id: tenant_id(1) }, Owner::Tenant { tenant_id: tenant_id(2) });
    let b = principal("arn:aws:iam::123456789012:user/redmine-b", one.clone());
    let a = principal("arn:aws:iam::123456789012:role/RedmineA", one.clone());
    let c = principal("arn:aws:iam::123456789012:user/redmine-c", two.clone());
    let op = principal("arn:aws:iam::123456789012:user/cms", Owner::Operator);
    for p in [&b, &a, &c, &op] {
        s.principals.register_principal(p).await.unwrap();
    }
    // Create-once, whoever asks for it next.
    assert!(matches!(s.principals.register_principal(&a).await, Err(StoreError::AlreadyExists)), "{}", f.adapter);
    let stolen = Principal { owner: two.clone(), ..a.clone() };
    assert!(matches!(s.principals.register_principal(&stolen).await, Err(StoreError::AlreadyExists)), "{}", f.adapter);
    assert_eq!(s.principals.get_principal(&a.arn).await.unwrap(), Some(a.clone()), "{}: the first registration stands", f.adapter);

    assert_eq!(arns(&s.principals.list_principals(&one).await.unwrap()), [a.arn.as_str(), b.arn.as_str()], "{}: ARN order", f.adapter);
    assert_eq!(s.principals.list_principals(&two).await.unwrap(), std::slice::from_ref(&c), "{}", f.adapter);
    assert_eq!(s.principals.list_principals(&Owner::Operator).await.unwrap(), std::slice::from_ref(&op), "{}", f.adapter);
    assert!(s.principals.list_principals(&Owner::Tenant { tenant_id: tenant_id(3) }).await.unwrap().is_empty());

    s.principals.delete_principal(&a.arn).await.unwrap();
    assert_eq!(s.principals.get_principal(&a.arn).await.unwrap(), None);
    assert_eq!(arns(&s.principals.list_principals(&one).await.unwrap()), [b.arn.as_str()], "{}", f.adapter);
    // The listing follows a principal that moves owner.
    s.principals.put_principal(&Principal { owner: one.clone(), ..c.clone() }).await.unwrap();
    assert!(s.principals.list_principals(&two).await.unwrap().is_empty(), "{}", f.adapter);
    assert_eq!(arns(&s.principals.list_principals(&one).await.unwrap()), [b.arn.as_str(), c.arn.as_str()], "{}", f.adapter);
}

macro_rules! principals_suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn registering_is_create_once_and_listed_by_owner() {
                super::registering_is_create_once_and_listed_by_owner($make().await).await
            }
        }
    };
}

principals_suite!(embedded, seikyu_tests::fixtures::embedded_store);
principals_suite!(dynamodb, seikyu_tests::fixtures::dynamodb_store);
