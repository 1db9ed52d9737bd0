async def test_regions_loaded(orgs):
    r = await orgs.get("/v1/regions", params={"top_level": True})
    assert r.status_code == 200
    assert len(r.json()["items"]) == 20
